//! A tour of seccompy.
fn main() {
    println!("seccompy quickstart");
}
