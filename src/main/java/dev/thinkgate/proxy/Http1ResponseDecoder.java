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
    return state == State.DONE && !connectionClose && (http11 || connectionKeepAlive);
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
        }
      }
      default -> throw new IllegalStateException(state.name());
    }
  }

  private void statusLine(int len) {
    String text = new String(line, 0, len, StandardCharsets.ISO_8859_1);
    // HTTP-version SP status-code [SP reason-phrase]
    if (!text.startsWith("HTTP/1.") || text.length() < 12 || text.charAt(8) != ' ') {
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
  }

  private void header(int len) {
    int colon = indexOf(line, 0, len, (byte) ':');
    if (colon <= 0) {
      throw fail("malformed header line");
    }
    String name = new String(line, 0, colon, StandardCharsets.ISO_8859_1);
    if (name.indexOf(' ') >= 0 || name.indexOf('\t') >= 0) {
      // RFC 9112 §5.1: such a field is rejected, not guessed at (a framing header read one way
      // here and another way elsewhere is how responses get smuggled)
      throw fail("whitespace in header name '" + name.strip() + "'");
    }
    String value = new String(line, colon + 1, len - colon - 1, StandardCharsets.ISO_8859_1).trim();
    if (name.equalsIgnoreCase("transfer-encoding")) {
      // Only plain "chunked" is accepted: any other coding (gzip, ...) would need decoding that
      // the gateway never asks for, and passing it on encoded would corrupt the event stream.
      if (!value.equalsIgnoreCase("chunked")) {
        throw fail("unsupported transfer-encoding '" + value + "'");
      }
      chunked = true;
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
    for (int i = 0; i < len; i++) {
      int c = line[i];
      int d = Character.digit(c, 16);
      if (d < 0) {
        if (digits > 0 && (c == ';' || c == ' ' || c == '\t')) {
          break; // chunk extensions are ignored
        }
        throw fail("bad chunk size");
      }
      if (++digits > 15) {
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
