//! Runnable examples of seccompy; see the `[[example]]` targets.
