//! The user-notification example (`examples/unotify.rs`, also in
//! `README.md`), compiled here unchanged and run in a forked case process:
//! it spawns `/bin/sh` under a filter, answers its `mkdir` and `openat` from the
//! supervisor, injects a pipe with `send_fd`, and asserts what the child printed.
mod support;
mod unotify_support;

mod example {
    include!("../../examples/unotify.rs");
    pub(super) fn run() -> Result<(), Box<dyn std::error::Error>> {
        main()
    }
}

#[test]
fn the_example_runs() {
    unotify_support::case(|| {
        if let Err(e) = example::run() {
            panic!("the example failed: {e}");
        }
    });
}

#[test]
fn the_readme_section_shows_the_example_as_it_is() {
    let example = include_str!("../../examples/unotify.rs");
    let readme = include_str!("../../README.md");
    assert!(
        readme.contains(example),
        "README.md must contain examples/unotify.rs verbatim"
    );
}
