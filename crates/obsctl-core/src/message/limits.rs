//! The limits of each target, enforced by truncation with an ellipsis
//! before sending (never discovered through a rejected request).
//!
//! Lengths are counted in UTF-16 code units ([`len`]), which is never less
//! than the number of characters: a conservative count for both Slack
//! ("characters") and Discord (whose limits are checked on UTF-16 strings).

/// The character that marks a cut.
pub const ELLIPSIS: char = crate::text::ELLIPSIS;

/// Slack Block Kit limits, in characters.
pub mod slack {
    /// Blocks per message.
    pub const BLOCKS: usize = 50;
    /// Header block text.
    pub const HEADER: usize = 150;
    /// Section block text.
    pub const SECTION_TEXT: usize = 3000;
    /// Fields per section.
    pub const FIELDS: usize = 10;
    /// One field's text.
    pub const FIELD_TEXT: usize = 2000;
    /// Elements per context block.
    pub const CONTEXT_ELEMENTS: usize = 10;
    /// One context element's text.
    pub const CONTEXT_TEXT: usize = 3000;
    /// Elements per actions block.
    pub const ACTIONS_ELEMENTS: usize = 25;
    /// Button label.
    pub const BUTTON_TEXT: usize = 75;
    /// Button URL.
    pub const BUTTON_URL: usize = 3000;
    /// A block id.
    pub const BLOCK_ID: usize = 255;
    /// Slack truncates `text` above 40,000; obsctl keeps the fallback short.
    pub const FALLBACK_TEXT: usize = 3000;
}

/// Discord webhook limits, in UTF-16 code units.
pub mod discord {
    /// Message content.
    pub const CONTENT: usize = 2000;
    /// Embeds per message.
    pub const EMBEDS: usize = 10;
    /// Embed title.
    pub const TITLE: usize = 256;
    /// Embed description.
    pub const DESCRIPTION: usize = 4096;
    /// Fields per embed.
    pub const FIELDS: usize = 25;
    /// Field name.
    pub const FIELD_NAME: usize = 256;
    /// Field value.
    pub const FIELD_VALUE: usize = 1024;
    /// Embed footer text.
    pub const FOOTER: usize = 2048;
    /// Embed author name.
    pub const AUTHOR: usize = 256;
    /// A URL.
    pub const URL: usize = 2048;
    /// title + description + field names and values + footer + author, over
    /// all embeds.
    pub const TOTAL: usize = 6000;
    /// Ids per `allowed_mentions` list.
    pub const ALLOWED_MENTION_IDS: usize = 100;
}

/// The length as the limits count it (UTF-16 code units).
pub fn len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// `s` cut to at most `max` UTF-16 units, ending in `…` when cut: the one
/// rule of [`crate::text::truncate`] (never a split character, escape or
/// entity).
pub fn truncate(s: &str, max: usize) -> String {
    crate::text::truncate(s, max, crate::text::Unit::Utf16)
}

/// [`truncate`] for Slack-escaped text (an entity such as `&amp;` is never
/// cut in half: the one rule already keeps escapes whole).
pub fn truncate_escaped(s: &str, max: usize) -> String {
    truncate(s, max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcd", 3), "ab…");
        assert_eq!(len(&truncate(&"😀".repeat(10), 5)), 5);
        assert_eq!(truncate_escaped("a&amp;b", 5), "a…");
        assert_eq!(truncate_escaped("ab&lt;cd", 7), "ab&lt;…");
        assert_eq!(truncate("", 0), "");
    }
}
