//! HLS and DASH streams from a streaming site of the tests' own on
//! loopback (`support::streaming`): on every engine (`engines`), and
//! through `fanout get` with real streams ffmpeg makes (`cli`). The
//! window's is `gui::stream`.

mod cli;
mod engines;
