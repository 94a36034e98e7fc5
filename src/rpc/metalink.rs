//! `aria2.addMetalink(metalink, options, position)`: the metalink (base64)
//! is read, and each of its files becomes one download with its mirrors
//! and SHA-256, as aria2 makes one per file; the answer is their gids.

use serde_json::{Value, json};

use super::options::{Add, base64_param, read_add};
use super::wire::ErrorObject;
use crate::engine::metalink;

/// The downloads of `aria2.addMetalink`'s `metalink, options`, in the
/// metalink's order, each with the options given (the folder among them).
pub fn read_add_metalink(p: &[Value], base: &std::path::Path) -> Result<Vec<Add>, ErrorObject> {
    let bytes = base64_param(p, "metalink")?;
    let files = metalink::parse(&bytes).map_err(|e| ErrorObject::failed(e.to_string()))?;
    // The options once, for every file: a placeholder URL stands in.
    let shared = read_add(&json!(["http://localhost/"]), p.get(1), base)?;
    let downloads = crate::input::metalink::downloads(&files, &shared.options);
    Ok(files
        .iter()
        .zip(downloads)
        .enumerate()
        .map(|(i, (file, (url, options)))| {
            let mut add = Add {
                url,
                // A gid the client chose names one download: the first.
                gid: shared.gid.clone().filter(|_| i == 0),
                dir: shared.dir.clone(),
                options,
                paused: shared.paused,
                ignored: shared.ignored.clone(),
            };
            if file.sha256.is_none() && !file.unchecked.is_empty() {
                add.ignored.push(format!(
                    "the metalink's {} (only sha-256 is checked)",
                    file.unchecked.join(", ")
                ));
            }
            add
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;

    fn call(doc: &str, options: Value) -> Result<Vec<Add>, ErrorObject> {
        let b64 = base64::engine::general_purpose::STANDARD.encode(doc);
        read_add_metalink(&[json!(b64), options], std::path::Path::new("/dl"))
    }

    #[test]
    fn each_file_is_a_download_with_the_options_given() {
        let doc = r#"<metalink xmlns="urn:ietf:params:xml:ns:metalink">
            <file name="a"><hash type="md5">00</hash><url priority="2">http://m/a</url><url priority="1">http://h/a</url></file>
            <file name="b"><url>http://h/b</url></file></metalink>"#;
        let adds = call(doc, json!({"dir": "/other", "split": "2"})).unwrap();
        assert_eq!(adds.len(), 2);
        assert_eq!(
            (adds[0].url.as_str(), adds[1].url.as_str()),
            ("http://h/a", "http://h/b")
        );
        assert_eq!(adds[0].options.mirrors, ["http://m/a"]);
        assert_eq!(adds[0].dir, std::path::Path::new("/other"));
        assert_eq!(adds[1].options.segments, Some(2));
        assert_eq!(adds[0].ignored, ["the metalink's md5 (only sha-256 is checked)"]);
        assert!(adds[1].ignored.is_empty());
    }

    #[test]
    fn a_bad_metalink_is_refused_with_its_reason() {
        let e = call(
            "<metalink><file name=\"../x\"><url>http://h/x</url></file></metalink>",
            json!({}),
        )
        .unwrap_err();
        assert!(e.message.contains("outside its folder"), "{}", e.message);
        let e = call("<metalink><file", json!({})).unwrap_err();
        assert!(e.message.contains("not a metalink"), "{}", e.message);
        let e = read_add_metalink(&[json!("@@@")], std::path::Path::new("/dl")).unwrap_err();
        assert!(e.message.contains("base64"), "{}", e.message);
    }
}
