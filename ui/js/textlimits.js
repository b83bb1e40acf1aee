// Telegram's text limits as the console checks them before asking the core (which checks again).
// Telegram counts UTF-16 code units, which is exactly what a JavaScript string's length is.

export const MAX_TEXT = 4096;
export const MAX_CAPTION = 1024;

/** The limit for a post's text: a caption when it has media, else a message. */
export function textLimit(post) {
  return post && Array.isArray(post.media) && post.media.length > 0 ? MAX_CAPTION : MAX_TEXT;
}

/** `{ length, limit, over }` for a text against a limit, in UTF-16 units. */
export function measure(text, limit) {
  const length = String(text ?? '').length;
  return { length, limit, over: length > limit };
}
