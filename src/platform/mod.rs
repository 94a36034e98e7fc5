//! What fanout asks of the operating system, for the service and every
//! front end: one instance per data folder and the hand-over of a later
//! start's URLs, the credential store, files only the user may read, and
//! the desktop entry and notifications.

pub mod desktop;
pub mod instance;
pub(crate) mod private;
pub mod secrets;
