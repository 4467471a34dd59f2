//! `newsflow-deduper`: wires the deduper to NATS. (Foundation issue: not wired yet.)

fn main() {
    eprintln!("newsflow-deduper: not wired to NATS yet");
    std::process::exit(1);
}
