package dev.thinkgate.proxy;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Incremental decoder of one HTTP/1.1 response at a time on a connection (RFC 9112): status line,
 * headers, then a chunked, fixed-length or read-until-close body, handed on as byte ranges of the
 * input without copying. It exists so the streamed upstream path does one decode step per socket
 * read instead of one object and one dispatch per chunk: vLLM writes each SSE event as its own
 * chunk. Not thread-safe; one connection's reads only.
 */
final class Http1ResponseDecoder {
  /** The receiver of one response's parts, in order: head, body ranges, end. */
  interface Listener {
    void onHead(int status, boolean keepAlive);

    /** Body bytes; the range is valid only during the call. */
    void onBody(byte[] bytes, int offset, int length);

    /** The response is complete; {@link #feed} returns right after. */
    void onEnd();
  }

  static final int MAX_HEAD_BYTES = 64 * 1024;
  private static final int MAX_CHUNK_LINE_BYTES = 1024;

  private enum State {
    STATUS_LINE, HEADERS, CHUNK_SIZE, CHUNK_DATA, CHUNK_DATA_END, TRAILERS, FIXED_BODY, UNTIL_CLOSE,
    DONE, FAILED
  }

  private final Listener listener;
  private final boolean headRequest;
  private State state = State.STATUS_LINE;
  private byte[] line = new byte[256]; // grows to the longest line seen, capped by the limits
  private int lineLength;
  private int headBytes;
  private int status;
  private boolean http11;
  private boolean chunked;
  private long contentLength = -1;
  private boolean connectionClose;
  private boolean connectionKeepAlive;
  private boolean transferEncoding;
  private long remaining;

  /**
   * @param headRequest true when the request was {@code HEAD}: the response then has no body
   */
  Http1ResponseDecoder(Listener listener, boolean headRequest) {
    this.listener = java.util.Objects.requireNonNull(listener, "listener");
    this.headRequest = headRequest;
  }

  /** True once the whole response has been decoded. */
  boolean done() {
    return state == State.DONE;
  }

  /** The connection may carry another request after this response (known once it is done). */
  boolean reusable() {
    return state == State.DONE && !connectionClose && (http11 || connectionKeepAlive)
        && !(transferEncoding && !http11);
  }

  /**
   * Decodes the next bytes read from the connection.
   *
   * @return how many bytes were consumed; fewer than {@code length} only when the response ended
   *     and bytes of something else followed it
   * @throws Http1FormatException on a malformed or oversized response; the decoder is then failed
   */
  int feed(byte[] bytes, int offset, int length) {
    int pos = offset;
    int end = offset + length;
    while (pos < end) {
      switch (state) {
        case STATUS_LINE, HEADERS, CHUNK_SIZE, TRAILERS -> pos = readLine(bytes, pos, end);
        case CHUNK_DATA, FIXED_BODY -> {
          int n = (int) Math.min(remaining, end - pos);
          listener.onBody(bytes, pos, n);
          pos += n;
          remaining -= n;
          if (remaining == 0) {
            if (state == State.FIXED_BODY) {
              finish();
            } else {
              state = State.CHUNK_DATA_END;
            }
          }
        }
        case CHUNK_DATA_END -> pos = readLine(bytes, pos, end);
        case UNTIL_CLOSE -> {
          listener.onBody(bytes, pos, end - pos);
          pos = end;
        }
        case DONE -> {
          return pos - offset;
        }
        case FAILED -> throw new IllegalStateException("the decoder failed earlier");
      }
      if (state == State.DONE) {
        return pos - offset;
      }
    }
    return pos - offset;
  }

  /**
   * The connection closed. Ends a read-until-close body.
   *
   * @return true when that completed the response; false when the response was cut short
   */
  boolean endOfInput() {
    if (state == State.UNTIL_CLOSE) {
      finish();
      return true;
    }
    return state == State.DONE;
  }

  /** Reads up to a line end into {@link #line}; processes the line when complete. */
  private int readLine(byte[] bytes, int pos, int end) {
    int limit = state == State.CHUNK_SIZE || state == State.CHUNK_DATA_END
        ? MAX_CHUNK_LINE_BYTES : MAX_HEAD_BYTES;
    int lf = indexOf(bytes, pos, end, (byte) '\n');
    int stop = lf < 0 ? end : lf;
    int count = stop - pos;
    if (lineLength + count > limit) {
      throw fail(switch (state) {
        case CHUNK_SIZE -> "chunk size line too long";
        case CHUNK_DATA_END -> "chunk data longer than its size"; // its CRLF never came
        case TRAILERS -> "trailer line too long";
        default -> "response head too large";
      });
    }
    if (lineLength + count > line.length) {
      line = java.util.Arrays.copyOf(line, Math.min(limit, Math.max(lineLength + count, 2 * line.length)));
    }
    System.arraycopy(bytes, pos, line, lineLength, count);
    lineLength += count;
    if (lf < 0) {
      return end;
    }
    int len = lineLength > 0 && line[lineLength - 1] == '\r' ? lineLength - 1 : lineLength;
    lineLength = 0;
    processLine(len);
    return lf + 1;
  }

  private void processLine(int len) {
    switch (state) {
      case STATUS_LINE -> {
        if (len == 0) {
          return; // tolerated: a stray line end before the status line (RFC 9112 §2.2)
        }
        statusLine(len);
        headBytes = len;
        state = State.HEADERS;
      }
      case HEADERS -> {
        headBytes += len;
        if (headBytes > MAX_HEAD_BYTES) {
          throw fail("response head too large");
        }
        if (len == 0) {
          endOfHead();
        } else {
          header(len);
        }
      }
      case CHUNK_SIZE -> {
        long size = chunkSize(len);
        if (size == 0) {
          state = State.TRAILERS;
        } else {
          remaining = size;
          state = State.CHUNK_DATA;
        }
      }
      case CHUNK_DATA_END -> {
        if (len != 0) {
          throw fail("chunk data longer than its size");
        }
        state = State.CHUNK_SIZE;
      }
      case TRAILERS -> {
        headBytes += len; // the trailer section shares the head's cap
        if (headBytes > MAX_HEAD_BYTES) {
          throw fail("trailer section too large");
        }
        if (len == 0) {
          finish();
        } else {
          fieldLine(len, "trailer"); // checked as a field line; its value is not used
        }
      }
      default -> throw new IllegalStateException(state.name());
    }
  }

  private void statusLine(int len) {
    String text = new String(line, 0, len, StandardCharsets.ISO_8859_1);
    // HTTP-version SP status-code [SP reason-phrase]
    // HTTP-version is "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3); a higher 1.x minor is read as 1.1
    // (RFC 9110 §2.5), anything else is refused
    if (!text.startsWith("HTTP/1.") || text.length() < 12 || text.charAt(8) != ' '
        || text.charAt(7) < '0' || text.charAt(7) > '9') {
      throw fail("not an HTTP/1.x status line");
    }
    http11 = text.charAt(7) != '0';
    try {
      status = Integer.parseInt(text, 9, 12, 10);
    } catch (NumberFormatException e) {
      throw fail("bad status code");
    }
    if (status < 100 || status > 999 || text.length() > 12 && text.charAt(12) != ' ') {
      throw fail("bad status code");
    }
    chunked = false;
    contentLength = -1;
    connectionClose = false;
    connectionKeepAlive = false;
    transferEncoding = false;
  }

  /**
   * Checks one field line (RFC 9112 §5, RFC 9110 §5.5): a token name, a colon, a value of visible
   * characters, spaces, tabs and obs-text, with only spaces and tabs trimmed around it.
   *
   * @return the index of the colon
   */
  private int fieldLine(int len, String what) {
    int colon = indexOf(line, 0, len, (byte) ':');
    if (colon <= 0) {
      throw fail("malformed " + what + " line");
    }
    for (int i = 0; i < colon; i++) {
      byte b = line[i];
      if (b == ' ' || b == '\t') {
        // RFC 9112 §5.1: such a field is rejected, not guessed at (a framing header read one way
        // here and another way elsewhere is how responses get smuggled)
        throw fail("whitespace in " + what + " name '"
            + new String(line, 0, colon, StandardCharsets.ISO_8859_1).strip() + "'");
      }
      if (!isTchar(b)) {
        throw fail("invalid character 0x" + Integer.toHexString(b & 0xff) + " in " + what
            + " name");
      }
    }
    for (int i = colon + 1; i < len; i++) {
      int b = line[i] & 0xff;
      if (b < 0x20 && b != '\t' || b == 0x7f) {
        throw fail("control character 0x" + Integer.toHexString(b) + " in " + what + " value");
      }
    }
    return colon;
  }

  /** tchar of RFC 9110 §5.6.2. */
  private static boolean isTchar(byte b) {
    return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
        || b > 0 && "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
  }

  /** The value after the colon without its surrounding spaces and tabs (and nothing else). */
  private String fieldValue(int colon, int len) {
    int from = colon + 1;
    int to = len;
    while (from < to && (line[from] == ' ' || line[from] == '\t')) {
      from++;
    }
    while (to > from && (line[to - 1] == ' ' || line[to - 1] == '\t')) {
      to--;
    }
    return new String(line, from, to - from, StandardCharsets.ISO_8859_1);
  }

  private void header(int len) {
    int colon = fieldLine(len, "header");
    String name = new String(line, 0, colon, StandardCharsets.ISO_8859_1);
    String value = fieldValue(colon, len);
    if (name.equalsIgnoreCase("transfer-encoding")) {
      // Only plain "chunked" is accepted: any other coding (gzip, ...) would need decoding that
      // the gateway never asks for, and passing it on encoded would corrupt the event stream.
      if (!value.equalsIgnoreCase("chunked")) {
        throw fail("unsupported transfer-encoding '" + value + "'");
      }
      chunked = true;
      transferEncoding = true;
    } else if (name.equalsIgnoreCase("content-length")) {
      long parsed;
      if (value.isEmpty() || !value.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw fail("bad content-length");
      }
      try {
        parsed = Long.parseLong(value);
      } catch (NumberFormatException e) {
        throw fail("bad content-length");
      }
      if (parsed < 0 || contentLength >= 0 && contentLength != parsed) {
        throw fail("bad content-length");
      }
      contentLength = parsed;
    } else if (name.equalsIgnoreCase("connection")) {
      String v = value.toLowerCase(Locale.ROOT);
      connectionClose |= v.contains("close");
      connectionKeepAlive |= v.contains("keep-alive");
    }
  }

  private void endOfHead() {
    if (status >= 100 && status < 200 && status != 101) {
      state = State.STATUS_LINE; // an interim response; the final one follows
      return;
    }
    if (chunked && contentLength >= 0) {
      // RFC 9112 §6.3 lets a recipient let Transfer-Encoding win, but a proxy that does so while
      // another hop reads Content-Length is how responses get smuggled (§11.2): refuse, and close
      throw fail("both transfer-encoding and content-length");
    }
    if (transferEncoding && !http11) {
      // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing; decode it,
      // then close the connection
      connectionClose = true;
    }
    boolean bodyless = headRequest || status == 204 || status == 304;
    if (!bodyless && !chunked && contentLength < 0) {
      connectionClose = true; // the body ends with the connection, so onHead must not say keep-alive
    }
    listener.onHead(status, !connectionClose && (http11 || connectionKeepAlive));
    if (state == State.FAILED || state == State.DONE) {
      return;
    }
    if (bodyless) {
      finish();
    } else if (chunked) {
      state = State.CHUNK_SIZE; // Transfer-Encoding wins over Content-Length (RFC 9112 §6.3)
    } else if (contentLength == 0) {
      finish();
    } else if (contentLength > 0) {
      remaining = contentLength;
      state = State.FIXED_BODY;
    } else {
      state = State.UNTIL_CLOSE;
    }
  }

  private long chunkSize(int len) {
    long size = 0;
    int digits = 0;
    int significant = 0; // leading zeros are padding (1*HEXDIG), not magnitude
    for (int i = 0; i < len; i++) {
      int c = line[i];
      int d = c < 0x80 ? Character.digit(c, 16) : -1;
      if (d < 0) {
        if (digits > 0 && (c == ';' || c == ' ' || c == '\t')) {
          break; // chunk extensions are ignored
        }
        throw fail("bad chunk size");
      }
      digits++;
      if ((significant > 0 || d != 0) && ++significant > 15) {
        throw fail("chunk size too large");
      }
      size = size * 16 + d;
    }
    if (digits == 0) {
      throw fail("bad chunk size");
    }
    return size;
  }

  private void finish() {
    state = State.DONE;
    listener.onEnd();
  }

  private Http1FormatException fail(String message) {
    state = State.FAILED;
    return new Http1FormatException(message);
  }

  private static int indexOf(byte[] bytes, int from, int end, byte target) {
    for (int i = from; i < end; i++) {
      if (bytes[i] == target) {
        return i;
      }
    }
    return -1;
  }

  /** A response that does not follow HTTP/1.1's message syntax, or exceeds a size cap. */
  static final class Http1FormatException extends RuntimeException {
    Http1FormatException(String message) {
      super(message, null, false, false);
    }
  }
}
