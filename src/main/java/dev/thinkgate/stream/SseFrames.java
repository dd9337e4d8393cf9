package dev.thinkgate.stream;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import java.util.Objects;

/** Encodes the server-sent-event frames the gateway writes to clients (OpenAI framing). */
public final class SseFrames {
  private static final String DONE = "data: [DONE]\n\n";
  private static final byte[] DATA_PREFIX = {'d', 'a', 't', 'a', ':', ' '};
  private static final byte[] FRAME_END = {'\n', '\n'};

  private SseFrames() {}

  /**
   * {@code data: <payload>\n\n}. A payload containing line breaks (never the case for compact
   * JSON) is sent as one {@code data:} line per line, which a client joins back with {@code \n}.
   */
  public static Buffer data(String payload) {
    Objects.requireNonNull(payload, "payload");
    if (payload.indexOf('\n') < 0 && payload.indexOf('\r') < 0) {
      return Buffer.buffer(payload.length() + 8).appendString("data: ").appendString(payload)
          .appendString("\n\n");
    }
    Buffer frame = Buffer.buffer(payload.length() + 32);
    for (String line : payload.split("\r\n|\r|\n", -1)) {
      frame.appendString("data: ").appendString(line).appendString("\n");
    }
    return frame.appendString("\n");
  }

  /** The length of {@link #appendData}'s frame for {@code length} bytes of data. */
  public static int dataFrameLength(int length) {
    return DATA_PREFIX.length + length + FRAME_END.length;
  }

  /**
   * Appends {@code data: <bytes>\n\n} to {@code target}: the frame of {@link #data(String)} for
   * data that is already one line of UTF-8, without a String or Buffer of its own.
   */
  public static Buffer appendData(Buffer target, byte[] data, int offset, int length) {
    return target.appendBytes(DATA_PREFIX).appendBytes(data, offset, length).appendBytes(FRAME_END);
  }

  /**
   * Appends {@code data: <payload>\n\n} to {@code target}, the frame of {@link #data(String)}
   * for a payload of one line, with no Buffer of its own; false (nothing appended) when the
   * payload holds a line break and needs {@link #data(String)}'s one line per line.
   */
  public static boolean appendData(Buffer target, String payload) {
    if (payload.indexOf('\n') >= 0 || payload.indexOf('\r') >= 0) {
      return false;
    }
    target.appendBytes(DATA_PREFIX).appendString(payload).appendBytes(FRAME_END);
    return true;
  }

  /** {@code data: <compact json>\n\n}. */
  public static Buffer data(JsonObject json) {
    return data(json.encode());
  }

  /** {@code data: [DONE]\n\n}, the OpenAI end-of-stream sentinel. */
  public static Buffer done() {
    return Buffer.buffer(DONE);
  }

  /**
   * {@code : <text>\n\n}, a comment clients ignore (keep-alive). The text must be a single line.
   */
  public static Buffer comment(String text) {
    Objects.requireNonNull(text, "text");
    if (text.indexOf('\n') >= 0 || text.indexOf('\r') >= 0) {
      throw new IllegalArgumentException("SSE comment must be one line");
    }
    return Buffer.buffer(text.length() + 4).appendString(": ").appendString(text)
        .appendString("\n\n");
  }
}
