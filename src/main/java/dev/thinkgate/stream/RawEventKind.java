package dev.thinkgate.stream;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;
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
  /** One line of valid UTF-8 with no marker: forward the bytes as they are. */
  PLAIN,
  /**
   * No marker, but the bytes cannot go out verbatim: they are not valid UTF-8 (sent as the decoded
   * text, malformed sequences as U+FFFD, as the gateway always sent them, rather than passing
   * invalid bytes on) or hold a line feed (multi-line data, sent as one {@code data:} line each).
   */
  NEEDS_DECODING,
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

  // What a quote starts, as fieldAt reports it.
  private static final int NO_MARKER = 0;
  private static final int REWRITE_MARKER = 1;
  private static final int USAGE_MARKER = 2;
  private static final int USAGE_NULL_MARKER = 3;

  /** Eight bytes at a time (little-endian: byte k of the word is bits 8k..8k+7). */
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long HIGHS = 0x8080808080808080L;
  private static final long LOW7S = 0x7F7F7F7F7F7F7F7FL;
  private static final long LESS_THANS = 0x3C3C3C3C3C3C3C3CL;
  private static final long LINE_FEEDS = 0x0A0A0A0A0A0A0A0AL;
  private static final long QUOTES = 0x2222222222222222L;
  private static final long RS = 0x7272727272727272L;
  private static final long SIXTEENS = 0x1010101010101010L;
  private static final long US = 0x7575757575757575L;

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
    boolean needsDecoding = false;
    int i = offset;
    while ((i = nextToExamine(data, i, end)) < end) {
      // A byte that may matter: one byte or one UTF-8 sequence at a time.
      byte b = data[i];
      if (b >= 0) {
        if (b == '<') {
          return REWRITE;
        }
        if (b == '\n') {
          needsDecoding = true;
        } else if (b == QUOTE) {
          switch (fieldAt(data, i + 1, end)) {
            case REWRITE_MARKER -> {
              return REWRITE;
            }
            case USAGE_MARKER -> usage = true;
            case USAGE_NULL_MARKER -> {
              usage = true;
              usageNull = true;
            }
            default -> { }
          }
        }
        i++;
      } else {
        int sequence = utf8SequenceLength(data, i, end);
        if (sequence < 0) {
          needsDecoding = true;
          i++; // resynchronise on the next byte; only ASCII bytes matter for the markers
        } else {
          i += sequence;
        }
      }
    }
    if (usage && !usageNull) {
      return USAGE;
    }
    return needsDecoding ? NEEDS_DECODING : PLAIN;
  }

  /**
   * The first index from {@code i} that may matter: a {@code <}, a quote followed by r, e or u
   * (only those can start a marker field, and they are rare in chunk JSON), a line feed, a
   * non-ASCII byte, or one of the last seven bytes; may be earlier, never later. Eight bytes are
   * checked at once and the step is seven, so a quote's next byte is always in the same word.
   */
  private static int nextToExamine(byte[] data, int i, int end) {
    for (; i + Long.BYTES <= end; i += Long.BYTES - 1) {
      long word = (long) LONGS.get(data, i);
      long lessThans = asciiZeroBytes(word ^ LESS_THANS);
      // 'e' (0x65) and 'u' (0x75) differ only in bit 0x10: one test finds both
      long starts = asciiZeroBytes(word ^ RS) | asciiZeroBytes((word | SIXTEENS) ^ US);
      long candidates = asciiZeroBytes(word ^ QUOTES) & (starts >>> 8);
      // Above a non-ASCII byte the ASCII tests are garbage, below it they are exact: the lowest
      // flag is a byte worth a look.
      long flags = (word & HIGHS) | lessThans | candidates | asciiZeroBytes(word ^ LINE_FEEDS);
      if (flags != 0) {
        return i + (Long.numberOfTrailingZeros(flags) >>> 3);
      }
    }
    return i;
  }

  /**
   * The high bit of every zero byte of {@code x}; exact for the bytes below the lowest one with
   * its high bit set (all of them for ASCII): adding 0x7F to a byte below 0x80 sets its high bit
   * unless it is zero, and never carries into the next byte.
   */
  private static long asciiZeroBytes(long x) {
    return ~(x + LOW7S) & HIGHS;
  }

  /** Which marker field, if any, the text after a quote at {@code at - 1} names. */
  private static int fieldAt(byte[] data, int at, int end) {
    if (matches(data, at, end, REASONING) || matches(data, at, end, ERROR)) {
      return REWRITE_MARKER;
    }
    if (matches(data, at, end, USAGE_FIELD)) {
      return matches(data, at + USAGE_FIELD.length, end, NULL_VALUE)
          ? USAGE_NULL_MARKER : USAGE_MARKER;
    }
    return NO_MARKER;
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
    return end - at >= pattern.length
        && Arrays.equals(data, at, at + pattern.length, pattern, 0, pattern.length);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }
}
