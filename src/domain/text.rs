//! Telegram's text limits, counted as Telegram counts them: in UTF-16 code units (an emoji
//! outside the Basic Multilingual Plane is two), not in bytes or Rust `char`s.

/// Longest message text Telegram accepts.
pub const MAX_TEXT: usize = 4096;
/// Longest media caption Telegram accepts.
pub const MAX_CAPTION: usize = 1024;

/// Length in UTF-16 code units.
pub fn utf16_len(s: &str) -> usize {
    s.chars().map(char::len_utf16).sum()
}

/// The longest prefix of `s` that is at most `max` UTF-16 units, cut at a character boundary.
pub fn prefix_utf16(s: &str, max: usize) -> &str {
    let mut units = 0;
    for (at, c) in s.char_indices() {
        units += c.len_utf16();
        if units > max {
            return &s[..at];
        }
    }
    s
}

/// Where a post's text goes: a message of its own, or the caption of its first media item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextSlot {
    Message,
    Caption,
}

impl TextSlot {
    /// The slot of a post with `media_count` media items.
    pub fn for_media_count(media_count: usize) -> Self {
        if media_count == 0 { Self::Message } else { Self::Caption }
    }

    pub fn limit(self) -> usize {
        match self {
            Self::Message => MAX_TEXT,
            Self::Caption => MAX_CAPTION,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Message => "message",
            Self::Caption => "caption",
        }
    }
}

/// A text over its slot's limit: what the moderator is told.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "the text is {length} characters long (emoji count as two); Telegram allows at most {limit} in a {}",
    slot.as_str()
)]
pub struct TextTooLong {
    pub length: usize,
    pub limit: usize,
    pub slot: TextSlot,
}

/// Checks `text` fits its slot.
pub fn check_fits(text: &str, slot: TextSlot) -> Result<(), TextTooLong> {
    let length = utf16_len(text);
    let limit = slot.limit();
    if length > limit { Err(TextTooLong { length, limit, slot }) } else { Ok(()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_outside_the_bmp_count_as_two_units() {
        assert_eq!(utf16_len("abc"), 3);
        assert_eq!(utf16_len("Привет"), 6);
        assert_eq!(utf16_len("😀"), 2);
        assert_eq!(utf16_len(&"😀".repeat(2049)), 4098);
    }

    #[test]
    fn a_prefix_never_splits_a_surrogate_pair() {
        let s = "a😀b";
        assert_eq!(prefix_utf16(s, 1), "a");
        assert_eq!(prefix_utf16(s, 2), "a", "the emoji needs two units");
        assert_eq!(prefix_utf16(s, 3), "a😀");
        assert_eq!(prefix_utf16(s, 10), s);
        assert_eq!(prefix_utf16("", 5), "");
    }

    #[test]
    fn the_limit_depends_on_the_slot_and_is_named() {
        assert!(check_fits(&"x".repeat(4096), TextSlot::Message).is_ok());
        let err = check_fits(&"😀".repeat(2049), TextSlot::Message).unwrap_err();
        assert_eq!(err, TextTooLong { length: 4098, limit: 4096, slot: TextSlot::Message });
        assert!(err.to_string().contains("4096"), "{err}");
        let err = check_fits(&"x".repeat(1025), TextSlot::Caption).unwrap_err();
        assert!(err.to_string().contains("1024") && err.to_string().contains("caption"), "{err}");
        assert_eq!(TextSlot::for_media_count(0), TextSlot::Message);
        assert_eq!(TextSlot::for_media_count(3), TextSlot::Caption);
    }
}
