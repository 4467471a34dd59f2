//! `newsflow-cleaner`: wires the cleaner to NATS. (Foundation issue: not wired yet.)

fn main() {
    eprintln!("newsflow-cleaner: not wired to NATS yet");
    std::process::exit(1);
}
