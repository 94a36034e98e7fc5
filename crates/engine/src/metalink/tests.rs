//! The metalink reader against documents of both formats, good and bad.

use super::*;

const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

fn v4(files: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<metalink xmlns="urn:ietf:params:xml:ns:metalink">
  <generator>test</generator>
  {files}
</metalink>"#
    )
}

fn v3(files: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="utf-8"?>
<metalink version="3.0" xmlns="http://www.metalinker.org/">
  <publisher><name>test</name></publisher>
  <files>{files}</files>
</metalink>"#
    )
}

#[test]
fn a_v4_file_has_its_urls_by_priority_its_size_and_its_sha256() {
    let doc = v4(&format!(
        r#"<file name="a.iso">
    <size>1024</size>
    <hash type="md5">d41d8cd98f00b204e9800998ecf8427e</hash>
    <hash type="sha-256">{SHA}</hash>
    <url location="de" priority="3">http://c/a.iso</url>
    <url priority="1">https://a/a.iso</url>
    <metaurl mediatype="torrent" priority="1">http://t/a.torrent</metaurl>
    <url>http://last/a.iso</url>
    <url priority="1">ftp://f/a.iso</url>
    <url priority="2">http://b/a.iso</url>
    <pieces length="262144" type="sha-256"><hash>{SHA}</hash></pieces>
  </file>"#
    ));
    let files = parse(doc.as_bytes()).unwrap();
    assert_eq!(
        files,
        [MetalinkFile {
            name: "a.iso".into(),
            size: Some(1024),
            urls: vec![
                "https://a/a.iso".into(),
                "http://b/a.iso".into(),
                "http://c/a.iso".into(),
                "http://last/a.iso".into(),
            ],
            sha256: Some(crate::job::parse_sha256(SHA).unwrap()),
            unchecked: vec![],
        }]
    );
}

#[test]
fn a_v3_file_has_its_urls_by_preference_and_its_hashes() {
    let doc = v3(&format!(
        r#"<file name="b.bin">
      <size>7</size>
      <verification>
        <hash type="md5">d41d8cd98f00b204e9800998ecf8427e</hash>
        <hash type="sha256">{SHA}</hash>
        <pieces length="1" type="sha1"><hash piece="0">x</hash></pieces>
      </verification>
      <resources>
        <url type="http" preference="10">http://low/b.bin</url>
        <url type="bittorrent" preference="100">http://t/b.torrent</url>
        <url type="https" location="us" preference="90">https://high/b.bin</url>
        <url type="ftp" preference="100">ftp://f/b.bin</url>
        <url type="http">http://none/b.bin</url>
      </resources>
    </file>
    <file name="c.bin"><resources><url type="http">http://h/c.bin</url></resources></file>"#
    ));
    let files = parse(doc.as_bytes()).unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0].name, "b.bin");
    assert_eq!(files[0].size, Some(7));
    assert_eq!(
        files[0].urls,
        ["https://high/b.bin", "http://low/b.bin", "http://none/b.bin"]
    );
    assert!(files[0].sha256.is_some());
    assert_eq!(files[1].urls, ["http://h/c.bin"]);
    assert_eq!((files[1].size, files[1].sha256), (None, None));
}

#[test]
fn hashes_fanout_cannot_check_are_named() {
    for (hashes, sha256, unchecked) in [
        (
            r#"<hash type="md5">00</hash><hash type="sha-1">00</hash>"#,
            false,
            vec!["md5", "sha-1"],
        ),
        (r#"<hash type="sha-512">00</hash>"#, false, vec!["sha-512"]),
        (
            r#"<hash type="sha-1">00</hash><hash type="SHA-256">@SHA@</hash>"#,
            true,
            vec![],
        ),
        ("", false, vec![]),
    ] {
        let doc = v4(&format!(
            r#"<file name="x">{}<url>http://h/x</url></file>"#,
            hashes.replace("@SHA@", SHA)
        ));
        let f = &parse(doc.as_bytes()).unwrap()[0];
        assert_eq!(f.sha256.is_some(), sha256, "{hashes}");
        assert_eq!(f.unchecked, unchecked, "{hashes}");
    }
}

#[test]
fn names_outside_the_folder_refuse_the_metalink() {
    for name in [
        "../x",
        "a/../../x",
        "a/..",
        "/etc/passwd",
        "\\x",
        "C:\\x",
        "c:x",
        "a//b",
        "./x",
        "a\\..\\x",
    ] {
        let doc = v4(&format!(
            r#"<file name="ok"><url>http://h/ok</url></file><file name="{name}"><url>http://h/x</url></file>"#
        ));
        assert_eq!(
            parse(doc.as_bytes()),
            Err(MetalinkError::UnsafeName(name.into())),
            "{name}"
        );
        let said = MetalinkError::UnsafeName(name.into()).to_string();
        assert!(said.contains("outside its folder"), "{said}");
    }
    // Folders inside it are fine.
    let doc = v4(r#"<file name="dir/sub/a.iso"><url>http://h/a</url></file>"#);
    assert_eq!(parse(doc.as_bytes()).unwrap()[0].name, "dir/sub/a.iso");
}

/// What a case's error must be.
type Expect = fn(&MetalinkError) -> bool;

#[test]
fn documents_that_are_not_metalinks_say_why() {
    let cases: [(&str, Expect); 9] = [
        ("", |e| matches!(e, MetalinkError::Xml(_))),
        ("<metalink><file name=\"a\">", |e| {
            matches!(e, MetalinkError::Xml(_))
        }),
        ("<metalink><file name=\"a\"></url></file></metalink>", |e| {
            matches!(e, MetalinkError::Xml(_))
        }),
        ("<html><body>404</body></html>", |e| {
            *e == MetalinkError::NotMetalink("html".into())
        }),
        ("\u{1}\u{2}binary", |e| matches!(e, MetalinkError::Xml(_))),
        (r#"<metalink xmlns="urn:ietf:params:xml:ns:metalink"/>"#, |e| {
            *e == MetalinkError::NoFile
        }),
        (
            r#"<metalink><file><url>http://h/a</url></file></metalink>"#,
            |e| *e == MetalinkError::NoName,
        ),
        (
            r#"<metalink><file name="a"><url>ftp://h/a</url></file></metalink>"#,
            |e| *e == MetalinkError::NoUrl { name: "a".into() },
        ),
        (
            r#"<metalink><file name="a"><size>big</size><url>http://h/a</url></file></metalink>"#,
            |e| {
                *e == MetalinkError::BadSize {
                    name: "a".into(),
                    size: "big".into(),
                }
            },
        ),
    ];
    for (doc, expected) in cases {
        let e = parse(doc.as_bytes()).unwrap_err();
        assert!(expected(&e), "{doc:?}: {e:?}");
        assert!(!e.to_string().is_empty());
    }
    let bad_hash = v4(r#"<file name="a"><hash type="sha-256">abc</hash><url>http://h/a</url></file>"#);
    assert!(matches!(
        parse(bad_hash.as_bytes()),
        Err(MetalinkError::BadHash { .. })
    ));
    let e = parse(b"<metalink><file name=\"a\">").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("not a metalink: the XML could not be read"),
        "{e}"
    );
}

#[test]
fn metalinks_are_known_by_their_extension() {
    for yes in [
        "a.meta4",
        "/d/A.META4",
        "x.metalink",
        "http://h/x.meta4?sig=1",
        "https://h/p/x.metalink#f",
        "file:///tmp/a.meta4",
    ] {
        assert!(is_metalink_name(yes), "{yes}");
    }
    for no in ["a.torrent", "http://h/x.meta4.txt", "http://h/?f=x.iso", "meta4"] {
        assert!(!is_metalink_name(no), "{no}");
    }
}
