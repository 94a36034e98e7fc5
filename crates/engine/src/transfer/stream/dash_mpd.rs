//! The parts of an MPD (ISO/IEC 23009-1) a download needs, as serde reads
//! them from the XML with quick-xml. Everything else in the document is
//! skipped. Attributes are `@name`; element text is `$text`.

use serde::Deserialize;

/// A level that may carry segment addressing (Period, AdaptationSet,
/// Representation): its own fields, then its `BaseURL`s and the three ways
/// of addressing segments, declared once here. They are fields of each
/// level rather than one `#[serde(flatten)]` struct: flattened fields reach
/// quick-xml's deserializer as strings and then fail to read as numbers.
macro_rules! level {
    (struct $name:ident { $($(#[$attr:meta])* $field:ident: $ty:ty,)* }) => {
        #[derive(Deserialize, Default)]
        #[serde(default)]
        pub(super) struct $name {
            $($(#[$attr])* pub(super) $field: $ty,)*
            #[serde(rename = "BaseURL")]
            pub(super) base_urls: Vec<BaseUrl>,
            #[serde(rename = "SegmentTemplate")]
            pub(super) template: Option<Template>,
            #[serde(rename = "SegmentList")]
            pub(super) list: Option<List>,
            #[serde(rename = "SegmentBase")]
            pub(super) single: Option<Single>,
        }

        impl $name {
            pub(super) fn addressing(&self) -> Addressing<'_> {
                Addressing { template: self.template.as_ref(), list: self.list.as_ref(), single: self.single.as_ref() }
            }
        }
    };
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Mpd {
    #[serde(rename = "@type")]
    pub(super) kind: Option<String>,
    #[serde(rename = "@mediaPresentationDuration")]
    pub(super) duration: Option<String>,
    #[serde(rename = "BaseURL")]
    pub(super) base_urls: Vec<BaseUrl>,
    #[serde(rename = "Period")]
    pub(super) periods: Vec<Period>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct BaseUrl {
    #[serde(rename = "$text")]
    pub(super) url: String,
}

level! {
    struct Period {
        #[serde(rename = "@start")]
        start: Option<String>,
        #[serde(rename = "@duration")]
        duration: Option<String>,
        #[serde(rename = "AdaptationSet")]
        sets: Vec<Set>,
    }
}

level! {
    struct Set {
        #[serde(rename = "@contentType")]
        content_type: Option<String>,
        #[serde(rename = "@mimeType")]
        mime_type: Option<String>,
        #[serde(rename = "@codecs")]
        codecs: Option<String>,
        #[serde(rename = "ContentProtection")]
        protection: Vec<Protection>,
        #[serde(rename = "EssentialProperty")]
        essential: Vec<Property>,
        #[serde(rename = "ContentComponent")]
        components: Vec<Component>,
        #[serde(rename = "Representation")]
        representations: Vec<Representation>,
    }
}

level! {
    struct Representation {
        #[serde(rename = "@id")]
        id: String,
        #[serde(rename = "@bandwidth")]
        bandwidth: u64,
        #[serde(rename = "@mimeType")]
        mime_type: Option<String>,
        #[serde(rename = "@codecs")]
        codecs: Option<String>,
        #[serde(rename = "ContentProtection")]
        protection: Vec<Protection>,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Protection {
    #[serde(rename = "@schemeIdUri")]
    pub(super) scheme: String,
    #[serde(rename = "@value")]
    pub(super) value: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Property {
    #[serde(rename = "@schemeIdUri")]
    pub(super) scheme: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Component {
    #[serde(rename = "@contentType")]
    pub(super) content_type: Option<String>,
}

/// `SegmentTemplate` and `SegmentList`: the standard's
/// MultipleSegmentBaseInformation, read as one type (each element uses its
/// own fields: a template's `@media` and `@initialization`, a list's
/// `SegmentURL`s and `Initialization`).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct Segments {
    #[serde(rename = "@timescale")]
    pub(super) timescale: Option<u64>,
    #[serde(rename = "@duration")]
    pub(super) duration: Option<u64>,
    #[serde(rename = "@startNumber")]
    pub(super) start_number: Option<u64>,
    #[serde(rename = "@presentationTimeOffset")]
    pub(super) offset: Option<u64>,
    #[serde(rename = "@initialization")]
    pub(super) initialization: Option<String>,
    #[serde(rename = "@media")]
    pub(super) media: Option<String>,
    #[serde(rename = "SegmentTimeline")]
    pub(super) timeline: Option<Timeline>,
    #[serde(rename = "Initialization")]
    pub(super) init: Option<Initialization>,
    #[serde(rename = "SegmentURL")]
    pub(super) segments: Vec<SegmentUrl>,
}

/// A `SegmentTemplate`: segment URLs made from `@media`.
pub(super) type Template = Segments;

/// A `SegmentList`: segment URLs listed one by one.
pub(super) type List = Segments;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct Timeline {
    #[serde(rename = "S")]
    pub(super) entries: Vec<Entry>,
}

/// `<S t d r>`: `r + 1` segments of `d` ticks from `t`.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct Entry {
    #[serde(rename = "@t")]
    pub(super) t: Option<u64>,
    #[serde(rename = "@d")]
    pub(super) d: u64,
    #[serde(rename = "@r")]
    pub(super) r: Option<i64>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct Single {
    #[serde(rename = "Initialization")]
    pub(super) init: Option<Initialization>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct Initialization {
    #[serde(rename = "@sourceURL")]
    pub(super) source: Option<String>,
    #[serde(rename = "@range")]
    pub(super) range: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub(super) struct SegmentUrl {
    #[serde(rename = "@media")]
    pub(super) media: Option<String>,
    #[serde(rename = "@mediaRange")]
    pub(super) range: Option<String>,
}

/// The segment addressing of one level (period, set, representation); a
/// lower level's wins, attribute by attribute.
#[derive(Clone, Copy)]
pub(super) struct Addressing<'a> {
    pub(super) template: Option<&'a Template>,
    pub(super) list: Option<&'a List>,
    pub(super) single: Option<&'a Single>,
}

impl Segments {
    /// These attributes and elements, each taken from `upper` where this
    /// lacks it (the standard's inheritance from Period to Representation).
    pub(super) fn inherit(self, upper: Template) -> Template {
        Template {
            timescale: self.timescale.or(upper.timescale),
            duration: self.duration.or(upper.duration),
            start_number: self.start_number.or(upper.start_number),
            offset: self.offset.or(upper.offset),
            initialization: self.initialization.or(upper.initialization),
            media: self.media.or(upper.media),
            timeline: self.timeline.or(upper.timeline),
            init: self.init.or(upper.init),
            segments: if self.segments.is_empty() {
                upper.segments
            } else {
                self.segments
            },
        }
    }
}
