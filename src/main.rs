fn main() {
    std::process::exit(obsctl::run());
}
