//! `newsflow-watcher`: wires the watcher to NATS. (Foundation issue: not wired yet.)

fn main() {
    eprintln!("newsflow-watcher: not wired to NATS yet");
    std::process::exit(1);
}
