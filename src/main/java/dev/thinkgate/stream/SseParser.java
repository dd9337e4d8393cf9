package dev.thinkgate.stream;

import io.vertx.core.buffer.Buffer;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Incremental parser of a {@code text/event-stream} byte stream, following the WHATWG "event
 * stream interpretation" rules: lines end with {@code \n}, {@code \r\n} or {@code \r}; a blank
 * line dispatches the event; {@code data:} lines are joined with {@code \n}; one space after the
 * colon is dropped; lines starting with {@code :} are comments; {@code event:}, {@code id:} and
 * {@code retry:} are honoured; a leading byte-order mark is skipped; an event without data is not
 * dispatched.
 *
 * <p>Buffers may split the stream at any byte, including between {@code \r} and {@code \n} and
 * inside a multi-byte UTF-8 character: bytes are scanned as bytes (CR and LF never occur inside a
 * UTF-8 sequence) and only complete lines are decoded. A line, or an event's accumulated data,
 * longer than {@code maxEventBytes} fails the stream with {@link SseFormatException}.
 *
 * <p>Two kinds of consumer: {@link #SseParser(Consumer)} hands each event over as an
 * {@link SseEvent} with its data decoded to a String; {@link #forRawData(RawDataHandler)} hands
 * over only the event's data, as the UTF-8 bytes of that same String would be for valid input, with
 * nothing decoded (the raw relay forwards most events without looking at them as text).
 *
 * <p>Not thread-safe: one instance per stream, fed from one event loop. Not reentrant: a consumer
 * may call {@link #end()} but not {@link #feed} from inside a callback.
 */
public final class SseParser {
  /**
   * Receives the data of each dispatched event as bytes: the {@code data:} lines' values joined
   * with {@code \n}, exactly as received (no UTF-8 decoding or validation). The event type is not
   * passed. The array is the parser's own and is reused: the bytes are valid only during the call.
   */
  @FunctionalInterface
  public interface RawDataHandler {
    void onData(byte[] bytes, int offset, int length);
  }

  /** Default cap on one line and on one event's data: 8 MiB. */
  public static final int DEFAULT_MAX_EVENT_BYTES = 8 * 1024 * 1024;

  private static final byte CR = '\r';
  private static final byte LF = '\n';
  private static final byte COLON = ':';
  private static final byte SPACE = ' ';
  private static final byte[] BOM = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
  private static final byte[] DATA = ascii("data");
  private static final byte[] EVENT = ascii("event");
  private static final byte[] ID = ascii("id");
  private static final byte[] RETRY = ascii("retry");
  /** Eight bytes at a time for the line-end scan (little-endian: the lowest match comes first). */
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long LFS = 0x0A0A0A0A0A0A0A0AL;
  private static final long CRS = 0x0D0D0D0D0D0D0D0DL;

  private enum State {
    OPEN,
    ENDED,
    FAILED
  }

  /** Exactly one of the two consumers is set. */
  private final Consumer<SseEvent> onEvent;
  private final RawDataHandler onRawData;
  private final int maxEventBytes;

  private State state = State.OPEN;
  private boolean firstLine = true;
  /** The previous buffer ended with CR: a LF at the start of the next one belongs to it. */
  private boolean skipLeadingLf;
  /** Bytes of a line not yet terminated. */
  private byte[] partial = new byte[256];
  private int partialLength;

  // The event being assembled. A single data line (the common case) stays a String.
  private String eventType;
  private String singleData;
  private StringBuilder multiData;
  private long dataChars;
  private boolean fieldsSeen;
  // The raw mode's data: values of the data lines joined with LF, in an array reused per event.
  private byte[] rawData;
  private int rawDataLength;
  private boolean rawDataSeen;

  private String lastEventId = "";
  private long retryMillis = -1;
  private boolean truncated;

  public SseParser(Consumer<SseEvent> onEvent) {
    this(onEvent, DEFAULT_MAX_EVENT_BYTES);
  }

  public SseParser(Consumer<SseEvent> onEvent, int maxEventBytes) {
    this(Objects.requireNonNull(onEvent, "onEvent"), null, maxEventBytes);
  }

  /**
   * A parser handing each event's data to {@code onData} as undecoded bytes. The size cap counts
   * bytes where the String mode counts chars (each data line's value plus one, in both).
   */
  public static SseParser forRawData(RawDataHandler onData) {
    return forRawData(onData, DEFAULT_MAX_EVENT_BYTES);
  }

  /** As {@link #forRawData(RawDataHandler)}, with a cap on one line and one event's data. */
  public static SseParser forRawData(RawDataHandler onData, int maxEventBytes) {
    return new SseParser(null, Objects.requireNonNull(onData, "onData"), maxEventBytes);
  }

  private SseParser(Consumer<SseEvent> onEvent, RawDataHandler onRawData, int maxEventBytes) {
    if (maxEventBytes <= 0) {
      throw new IllegalArgumentException("maxEventBytes must be positive, was " + maxEventBytes);
    }
    this.onEvent = onEvent;
    this.onRawData = onRawData;
    this.maxEventBytes = maxEventBytes;
    if (onRawData != null) {
      rawData = new byte[Math.min(512, maxEventBytes)];
    }
  }

  /**
   * Parses the next bytes of the stream, dispatching every event completed by them.
   *
   * @throws SseFormatException when a line or an event exceeds the size cap; the parser is then
   *     failed and accepts no further input
   * @throws IllegalStateException after {@link #end()} or a failure
   */
  public void feed(Buffer chunk) {
    Objects.requireNonNull(chunk, "chunk");
    byte[] bytes = chunk.getBytes();
    feed(bytes, 0, bytes.length);
  }

  /**
   * Parses the next bytes of the stream, {@code length} bytes of {@code bytes} from {@code from};
   * the range is read during the call only.
   *
   * @throws SseFormatException when a line or an event exceeds the size cap; the parser is then
   *     failed and accepts no further input
   * @throws IllegalStateException after {@link #end()} or a failure
   */
  public void feed(byte[] bytes, int from, int length) {
    Objects.checkFromIndexSize(from, length, bytes.length);
    requireOpen();
    if (length == 0) {
      return;
    }
    int pos = from;
    int end = from + length;
    if (skipLeadingLf) {
      skipLeadingLf = false;
      if (bytes[pos] == LF) {
        pos++;
      }
    }
    int lineStart = pos;
    while (pos < end) {
      pos = indexOfLineEnd(bytes, pos, end);
      if (pos == end) {
        break;
      }
      byte b = bytes[pos];
      if (partialLength > 0) {
        appendPartial(bytes, lineStart, pos - lineStart);
        processLine(partial, 0, partialLength);
        partialLength = 0;
      } else {
        checkLineLength(pos - lineStart);
        processLine(bytes, lineStart, pos - lineStart);
      }
      if (state != State.OPEN) {
        return; // the consumer ended the stream from inside a callback
      }
      pos++;
      if (b == CR) {
        if (pos == end) {
          skipLeadingLf = true;
        } else if (bytes[pos] == LF) {
          pos++;
        }
      }
      lineStart = pos;
    }
    if (lineStart < end) {
      appendPartial(bytes, lineStart, end - lineStart);
    }
  }

  /**
   * The index of the first CR or LF in {@code [from, end)}, or {@code end}. Compares eight bytes
   * per step (SWAR): the profile showed the byte-at-a-time loop as the parser's main cost, and a
   * line is typically a couple of hundred bytes of JSON.
   */
  static int indexOfLineEnd(byte[] bytes, int from, int end) {
    int i = from;
    for (; i + Long.BYTES <= end; i += Long.BYTES) {
      long word = (long) LONGS.get(bytes, i);
      long lf = word ^ LFS;
      long cr = word ^ CRS;
      // A byte is flagged when it is zero after the xor. The flag of the lowest zero byte is
      // exact (borrows only flag bytes above it), so the lowest flag of either mask is a match.
      long found = ((lf - ONES) & ~lf | (cr - ONES) & ~cr) & HIGHS;
      if (found != 0) {
        return i + (Long.numberOfTrailingZeros(found) >>> 3);
      }
    }
    for (; i < end; i++) {
      byte b = bytes[i];
      if (b == CR || b == LF) {
        return i;
      }
    }
    return end;
  }

  /**
   * Ends the stream. Per the spec an event not followed by a blank line is discarded, not
   * dispatched; {@link #hadTruncatedEvent()} then tells the caller the stream was cut short.
   * Calling {@code end()} again has no effect.
   */
  public void end() {
    if (state != State.OPEN) {
      return;
    }
    state = State.ENDED;
    truncated = partialLength > 0 || fieldsSeen;
    partialLength = 0;
    resetEvent();
  }

  /** True when {@link #end()} discarded an unterminated line or event. */
  public boolean hadTruncatedEvent() {
    return truncated;
  }

  /** The last {@code id:} value seen, "" when none (the spec's "last event ID buffer"). */
  public String lastEventId() {
    return lastEventId;
  }

  /** The last valid {@code retry:} value in milliseconds, or -1 when none was sent. */
  public long retryMillis() {
    return retryMillis;
  }

  private void requireOpen() {
    if (state == State.ENDED) {
      throw new IllegalStateException("SSE stream already ended");
    }
    if (state == State.FAILED) {
      throw new IllegalStateException("SSE stream already failed");
    }
  }

  private void appendPartial(byte[] bytes, int offset, int count) {
    checkLineLength((long) partialLength + count);
    if (partialLength + count > partial.length) {
      int capacity = Math.max(partialLength + count, Math.min(partial.length * 2, maxEventBytes));
      partial = Arrays.copyOf(partial, capacity);
    }
    System.arraycopy(bytes, offset, partial, partialLength, count);
    partialLength += count;
  }

  private void checkLineLength(long lineBytes) {
    if (lineBytes > maxEventBytes) {
      fail("SSE line longer than " + maxEventBytes + " bytes");
    }
  }

  private void fail(String message) {
    state = State.FAILED;
    partialLength = 0;
    resetEvent();
    throw new SseFormatException(message);
  }

  private void processLine(byte[] bytes, int offset, int length) {
    if (firstLine) {
      firstLine = false;
      if (startsWith(bytes, offset, length, BOM)) {
        offset += BOM.length;
        length -= BOM.length;
      }
    }
    if (length == 0) {
      dispatch();
      return;
    }
    if (bytes[offset] == COLON) {
      return; // comment
    }
    int colon = indexOf(bytes, offset, length, COLON);
    int nameLength = colon < 0 ? length : colon - offset;
    int valueStart = colon < 0 ? offset + length : colon + 1;
    if (colon >= 0 && valueStart < offset + length && bytes[valueStart] == SPACE) {
      valueStart++;
    }
    int valueLength = offset + length - valueStart;
    if (nameEquals(bytes, offset, nameLength, DATA)) {
      if (onRawData != null) {
        appendRawData(bytes, valueStart, valueLength);
      } else {
        appendData(decode(bytes, valueStart, valueLength));
      }
    } else if (nameEquals(bytes, offset, nameLength, EVENT)) {
      eventType = decode(bytes, valueStart, valueLength);
      fieldsSeen = true;
    } else if (nameEquals(bytes, offset, nameLength, ID)) {
      if (indexOf(bytes, valueStart, valueLength, (byte) 0) < 0) {
        lastEventId = decode(bytes, valueStart, valueLength);
      }
      fieldsSeen = true;
    } else if (nameEquals(bytes, offset, nameLength, RETRY)) {
      setRetry(bytes, valueStart, valueLength);
    }
    // other field names are ignored, as the spec requires
  }

  private void appendData(String value) {
    fieldsSeen = true;
    dataChars += value.length() + 1L;
    if (dataChars > maxEventBytes) {
      fail("SSE event data longer than " + maxEventBytes + " characters");
    }
    if (multiData != null) {
      multiData.append('\n').append(value);
    } else if (singleData != null) {
      multiData = new StringBuilder(singleData.length() + value.length() + 16);
      multiData.append(singleData).append('\n').append(value);
      singleData = null;
    } else {
      singleData = value;
    }
  }

  private void appendRawData(byte[] bytes, int offset, int length) {
    fieldsSeen = true;
    int separator = rawDataSeen ? 1 : 0;
    long needed = (long) rawDataLength + separator + length;
    // Counted as the String mode counts: each line's value plus one.
    if (needed + 1 > maxEventBytes) {
      fail("SSE event data longer than " + maxEventBytes + " bytes");
    }
    if (needed > rawData.length) {
      int capacity = (int) Math.max(needed, Math.min(rawData.length * 2L, maxEventBytes));
      rawData = Arrays.copyOf(rawData, capacity);
    }
    if (rawDataSeen) {
      rawData[rawDataLength++] = LF;
    }
    System.arraycopy(bytes, offset, rawData, rawDataLength, length);
    rawDataLength += length;
    rawDataSeen = true;
  }

  private void setRetry(byte[] bytes, int offset, int length) {
    if (length == 0 || length > 18) {
      return;
    }
    long value = 0;
    for (int i = offset; i < offset + length; i++) {
      byte b = bytes[i];
      if (b < '0' || b > '9') {
        return;
      }
      value = value * 10 + (b - '0');
    }
    retryMillis = value;
  }

  private void dispatch() {
    if (onRawData != null) {
      boolean hasData = rawDataSeen;
      int length = rawDataLength;
      resetEvent();
      if (hasData) {
        onRawData.onData(rawData, 0, length);
      }
      return;
    }
    String data = multiData != null ? multiData.toString() : singleData;
    String type = eventType == null || eventType.isEmpty() ? SseEvent.DEFAULT_TYPE : eventType;
    resetEvent();
    if (data != null) {
      onEvent.accept(new SseEvent(type, data));
    }
  }

  private void resetEvent() {
    eventType = null;
    singleData = null;
    multiData = null;
    dataChars = 0;
    fieldsSeen = false;
    rawDataLength = 0;
    rawDataSeen = false;
  }

  private static String decode(byte[] bytes, int offset, int length) {
    return length == 0 ? "" : new String(bytes, offset, length, StandardCharsets.UTF_8);
  }

  private static int indexOf(byte[] bytes, int offset, int length, byte target) {
    for (int i = offset; i < offset + length; i++) {
      if (bytes[i] == target) {
        return i;
      }
    }
    return -1;
  }

  private static boolean nameEquals(byte[] bytes, int offset, int length, byte[] name) {
    return length == name.length && startsWith(bytes, offset, length, name);
  }

  private static boolean startsWith(byte[] bytes, int offset, int length, byte[] prefix) {
    return length >= prefix.length
        && Arrays.equals(bytes, offset, offset + prefix.length, prefix, 0, prefix.length);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
