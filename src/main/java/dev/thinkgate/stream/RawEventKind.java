package dev.thinkgate.stream;

import java.util.Objects;

/**
 * What the raw relay must know about an upstream event's data before forwarding its bytes
 * untouched: whether anything in it may need rewriting. Decided on the UTF-8 bytes in one pass,
 * so an ordinary chunk is never decoded to a String.
 *
 * <p>The markers are ASCII, and UTF-8 never encodes anything else with ASCII bytes (nor does
 * Java's decoder fold an ASCII byte into a malformed sequence), so a marker is in the bytes
 * exactly when it is in the decoded text.
 */
public enum RawEventKind {
  /** Valid UTF-8 with no marker: forward the bytes as they are. */
  PLAIN,
  /**
   * No marker, but not valid UTF-8. Forwarded as the decoded text re-encoded (malformed sequences
   * become U+FFFD), as the gateway always sent it, rather than passing invalid bytes on.
   */
  MALFORMED_UTF8,
  /** A {@code "usage"} field that is not {@code "usage":null} (and no rewrite marker): parse it. */
  USAGE,
  /**
   * A {@code <} (a think tag may start), a {@code "reasoning"} field or an {@code "error"} field:
   * parse this event, and the relay parses every later one too.
   */
  REWRITE;

  private static final byte QUOTE = '"';
  private static final byte[] REASONING = ascii("reasoning\"");
  private static final byte[] ERROR = ascii("error\"");
  private static final byte[] USAGE_FIELD = ascii("usage\"");
  private static final byte[] NULL_VALUE = ascii(":null");

  /**
   * Classifies {@code length} bytes of event data from {@code offset}. Equivalent to testing the
   * decoded text for {@code '<'}, {@code "reasoning"}, {@code "error"}, and for {@code "usage"}
   * present while {@code "usage":null} is absent (a chunk holding both counts as no usage).
   */
  public static RawEventKind of(byte[] data, int offset, int length) {
    Objects.checkFromIndexSize(offset, length, data.length);
    int end = offset + length;
    boolean usage = false;
    boolean usageNull = false;
    boolean malformed = false;
    int i = offset;
    while (i < end) {
      byte b = data[i];
      if (b >= 0) {
        if (b == '<') {
          return REWRITE;
        }
        if (b == QUOTE) {
          int next = i + 1;
          if (matches(data, next, end, REASONING) || matches(data, next, end, ERROR)) {
            return REWRITE;
          }
          if (matches(data, next, end, USAGE_FIELD)) {
            usage = true;
            usageNull |= matches(data, next + USAGE_FIELD.length, end, NULL_VALUE);
          }
        }
        i++;
      } else {
        int sequence = utf8SequenceLength(data, i, end);
        if (sequence < 0) {
          malformed = true;
          i++; // resynchronise on the next byte; only ASCII bytes matter for the markers
        } else {
          i += sequence;
        }
      }
    }
    if (usage && !usageNull) {
      return USAGE;
    }
    return malformed ? MALFORMED_UTF8 : PLAIN;
  }

  /**
   * The length of the well-formed UTF-8 sequence starting with the non-ASCII byte at {@code i},
   * or -1: the strict RFC 3629 table (no overlongs, no surrogates, nothing above U+10FFFF), which
   * is what Java's decoder accepts.
   */
  private static int utf8SequenceLength(byte[] data, int i, int end) {
    int lead = data[i] & 0xFF;
    int length;
    int min2 = 0x80;
    int max2 = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
      length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
      length = 3;
      if (lead == 0xE0) {
        min2 = 0xA0;
      } else if (lead == 0xED) {
        max2 = 0x9F;
      }
    } else if (lead >= 0xF0 && lead <= 0xF4) {
      length = 4;
      if (lead == 0xF0) {
        min2 = 0x90;
      } else if (lead == 0xF4) {
        max2 = 0x8F;
      }
    } else {
      return -1;
    }
    if (i + length > end) {
      return -1;
    }
    int second = data[i + 1] & 0xFF;
    if (second < min2 || second > max2) {
      return -1;
    }
    for (int k = 2; k < length; k++) {
      if ((data[i + k] & 0xC0) != 0x80) {
        return -1;
      }
    }
    return length;
  }

  private static boolean matches(byte[] data, int at, int end, byte[] pattern) {
    if (end - at < pattern.length) {
      return false;
    }
    for (int k = 0; k < pattern.length; k++) {
      if (data[at + k] != pattern[k]) {
        return false;
      }
    }
    return true;
  }

  private static byte[] ascii(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }
}
