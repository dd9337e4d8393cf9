package dev.thinkgate.proxy;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;

/**
 * The upstream body of a request the gateway rewrites nothing in, from the client's own bytes.
 * The streamer needs {@code stream: true} and {@code stream_options.include_usage: true}; when the
 * client already asked to stream and sent no {@code stream_options}, the one member is spliced in
 * after the opening brace and every other byte goes upstream as the client sent it. That saves a
 * copy and a re-encode of the body on the way to the first token, and keeps what a re-encode
 * would change: a number out of a double's range ({@code 1e400}, re-encoded as the string
 * {@code "Infinity"}), the spelling of numbers ({@code 1e3} became {@code 1000.0}), spaces.
 *
 * <p>Duplicate keys stay as sent: the gateway's parser (Jackson) and vLLM's (Python's
 * {@code json}) both keep the last, and the spliced member comes first, so it is only added when
 * the parse saw no {@code stream_options} at all.
 */
final class ForwardedBody {
  private static final byte[] INCLUDE_USAGE =
      "\"stream_options\":{\"include_usage\":true},".getBytes(StandardCharsets.US_ASCII);

  private ForwardedBody() {}

  /**
   * {@code bytes} with {@code stream_options} spliced in, or null when the body has to be
   * re-encoded: no client bytes, the client did not ask to stream, it sent
   * {@code stream_options} (even {@code null}), or the bytes do not open with an object after
   * JSON whitespace.
   *
   * @param body the parse of {@code bytes}, unmodified
   */
  static Buffer spliced(JsonObject body, Buffer bytes) {
    if (bytes == null || !applies(body)) {
      return null;
    }
    int open = 0;
    int length = bytes.length();
    while (open < length && isJsonWhitespace(bytes.getByte(open))) {
      open++;
    }
    if (open == length || bytes.getByte(open) != '{') {
      return null;
    }
    int rest = open + 1;
    return Buffer.buffer(length + INCLUDE_USAGE.length)
        .appendBuffer(bytes, 0, rest)
        .appendBytes(INCLUDE_USAGE)
        .appendBuffer(bytes, rest, length - rest);
  }

  /**
   * Whether a request whose parse is {@code body} may go upstream as its own bytes: it asked to
   * stream and sent no {@code stream_options} (even {@code null}).
   */
  static boolean applies(JsonObject body) {
    return !body.isEmpty() && Boolean.TRUE.equals(body.getValue("stream"))
        && !body.containsKey("stream_options");
  }

  /** RFC 8259 §2: space, horizontal tab, line feed, carriage return. */
  private static boolean isJsonWhitespace(byte b) {
    return b == ' ' || b == '\t' || b == '\n' || b == '\r';
  }
}
