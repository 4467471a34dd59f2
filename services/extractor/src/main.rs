//! `newsflow-extractor`: wires the extractor to NATS. (Foundation issue: not wired yet.)

fn main() {
    eprintln!("newsflow-extractor: not wired to NATS yet");
    std::process::exit(1);
}
