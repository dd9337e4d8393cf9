package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Assume;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** Any framing of any body, cut into reads anywhere, decodes to the same body exactly once. */
class Http1ResponseDecoderProperties {
  /** How one chunk's size line and line ends are written. */
  record ChunkStyle(boolean upperHex, int leadingZeros, String extension, String lineEnd) {}

  /** What the decoder reported, checked for order as it arrives. */
  private static final class Recorder implements Http1ResponseDecoder.Listener {
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    int heads;
    int status;
    int ends;

    @Override
    public void onHead(int status, boolean keepAlive) {
      assertThat(ends).as("head after end").isZero();
      heads++;
      this.status = status;
    }

    @Override
    public void onBody(byte[] bytes, int offset, int length) {
      assertThat(heads).as("body before head").isEqualTo(1);
      assertThat(ends).as("body after end").isZero();
      assertThat(length).as("an empty body range").isPositive();
      body.write(bytes, offset, length);
    }

    @Override
    public void onEnd() {
      ends++;
    }
  }

  private static final byte[] NEXT_RESPONSE = ascii("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  @Provide
  Arbitrary<byte[]> bodies() {
    Arbitrary<Byte> framingLookalikes = Arbitraries.of(
        (byte) '\r', (byte) '\n', (byte) '0', (byte) ';', (byte) ':', (byte) 'H');
    return Arbitraries.frequencyOf(Tuple.of(1, framingLookalikes), Tuple.of(3, Arbitraries.bytes()))
        .list().ofMaxSize(700)
        .map(list -> {
          byte[] bytes = new byte[list.size()];
          for (int i = 0; i < bytes.length; i++) {
            bytes[i] = list.get(i);
          }
          return bytes;
        });
  }

  /** Relative positions in the body where one chunk ends and the next begins. */
  @Provide
  Arbitrary<List<Double>> chunkCuts() {
    return Arbitraries.doubles().between(0, 1).list().ofMaxSize(12);
  }

  @Provide
  Arbitrary<List<ChunkStyle>> chunkStyles() {
    return Combinators.combine(
            Arbitraries.of(true, false),
            // zero padding beyond 15 digits too: padding is not magnitude (RFC 9112 §7.1)
            Arbitraries.oneOf(Arbitraries.integers().between(0, 3), Arbitraries.integers().between(14, 24)),
            Arbitraries.of("", ";foo=bar", ";x", " ;q=\"a;b\"", "\t;e=1;f", ";" + "z".repeat(900)),
            Arbitraries.of("\r\n", "\r\n", "\n"))
        .as(ChunkStyle::new)
        .list().ofMinSize(1).ofMaxSize(4);
  }

  @Provide
  Arbitrary<List<String>> trailers() {
    return Arbitraries.of("X-Checksum: abc", "Server-Timing: total;dur=12", "X-Empty:")
        .list().ofMaxSize(3);
  }

  @Provide
  Arbitrary<Integer> statuses() {
    return Arbitraries.of(200, 201, 206, 299, 400, 404, 429, 500, 503);
  }

  /** Sizes of successive socket reads, used in turn; many are a single byte. */
  @Provide
  Arbitrary<List<Integer>> reads() {
    return Arbitraries.frequencyOf(
            Tuple.of(3, Arbitraries.just(1)),
            Tuple.of(4, Arbitraries.integers().between(2, 40)),
            Tuple.of(1, Arbitraries.integers().between(41, 5000)))
        .list().ofMinSize(1).ofMaxSize(20);
  }

  @Property(tries = 300)
  void anyChunkingOfAnyBodyCutIntoAnyReadsDecodesToExactlyThatBody(
      @ForAll("bodies") byte[] body,
      @ForAll("chunkCuts") List<Double> cuts,
      @ForAll("chunkStyles") List<ChunkStyle> styles,
      @ForAll("trailers") List<String> trailers,
      @ForAll("statuses") int status,
      @ForAll boolean interimFirst,
      @ForAll boolean nextResponseFollows,
      @ForAll("reads") List<Integer> reads) {
    // Given the body as HTTP chunks, possibly after a 100 Continue and before the next response
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    if (interimFirst) {
      wire.writeBytes(ascii("HTTP/1.1 100 Continue\r\n\r\n"));
    }
    wire.writeBytes(ascii("HTTP/1.1 " + status + " Reason Phrase\r\n"
        + "Content-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"));
    int chunk = 0;
    int from = 0;
    for (int to : chunkEnds(body.length, cuts)) {
      ChunkStyle style = styles.get(chunk++ % styles.size());
      wire.writeBytes(ascii(sizeLine(to - from, style)));
      wire.write(body, from, to - from);
      wire.writeBytes(ascii(style.lineEnd()));
      from = to;
    }
    ChunkStyle last = styles.get(chunk % styles.size());
    wire.writeBytes(ascii(sizeLine(0, last)));
    for (String trailer : trailers) {
      wire.writeBytes(ascii(trailer + last.lineEnd()));
    }
    wire.writeBytes(ascii(last.lineEnd()));
    int responseLength = wire.size();

    // When
    assertDecodesToBody(wire, responseLength, nextResponseFollows, reads, body, status);
  }

  @Property(tries = 300)
  void anyContentLengthBodyCutIntoAnyReadsDecodesToExactlyThatBody(
      @ForAll("bodies") byte[] body,
      @ForAll("statuses") int status,
      @ForAll boolean http10KeepAlive,
      @ForAll boolean upperCaseHeaders,
      @ForAll boolean nextResponseFollows,
      @ForAll("reads") List<Integer> reads) {
    // Given the body after a Content-Length head, as HTTP/1.1 or as HTTP/1.0 with keep-alive
    String head = (http10KeepAlive ? "HTTP/1.0 " : "HTTP/1.1 ") + status + " Reason\r\n"
        + (http10KeepAlive ? "Connection: keep-alive\r\n" : "")
        + "Content-Length: " + body.length + "\r\nX-Request-Id: 42\r\n";
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    wire.writeBytes(ascii((upperCaseHeaders ? head.toUpperCase(Locale.ROOT) : head) + "\r\n"));
    wire.writeBytes(body);
    int responseLength = wire.size();

    // When
    assertDecodesToBody(wire, responseLength, nextResponseFollows, reads, body, status);
  }

  @Property(tries = 200)
  void anyBodyDelimitedByTheCloseCutIntoAnyReadsDecodesToExactlyThatBody(
      @ForAll("bodies") byte[] body,
      @ForAll("statuses") int status,
      @ForAll("reads") List<Integer> reads) {
    // Given a head without framing, so the body runs to the connection's close
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    wire.writeBytes(ascii("HTTP/1.1 " + status + " Reason\r\nContent-Type: text/plain\r\n\r\n"));
    wire.writeBytes(body);
    Recorder recorder = new Recorder();
    Http1ResponseDecoder decoder = new Http1ResponseDecoder(recorder, false);

    // When
    int consumed = feedInReads(decoder, wire.toByteArray(), reads);
    boolean doneBeforeClose = decoder.done();
    boolean complete = decoder.endOfInput();

    // Then
    assertThat(consumed).isEqualTo(wire.size());
    assertThat(doneBeforeClose).isFalse();
    assertThat(complete).isTrue();
    assertThat(recorder.body.toByteArray()).isEqualTo(body);
    assertThat(recorder.heads).isEqualTo(1);
    assertThat(recorder.status).isEqualTo(status);
    assertThat(recorder.ends).isEqualTo(1);
    assertThat(decoder.reusable()).isFalse();
  }

  private static void assertDecodesToBody(ByteArrayOutputStream wire, int responseLength,
      boolean nextResponseFollows, List<Integer> reads, byte[] body, int status) {
    if (nextResponseFollows) {
      wire.writeBytes(NEXT_RESPONSE);
    }
    Recorder recorder = new Recorder();
    Http1ResponseDecoder decoder = new Http1ResponseDecoder(recorder, false);

    int consumed = feedInReads(decoder, wire.toByteArray(), reads);

    // Then exactly the response was consumed, the next one's bytes left alone
    assertThat(consumed).isEqualTo(responseLength);
    assertThat(recorder.body.toByteArray()).isEqualTo(body);
    assertThat(recorder.heads).isEqualTo(1);
    assertThat(recorder.status).isEqualTo(status);
    assertThat(recorder.ends).isEqualTo(1);
    assertThat(decoder.done()).isTrue();
    assertThat(decoder.reusable()).isTrue();
    assertThat(decoder.endOfInput()).isTrue();
  }

  /**
   * Feeds the bytes in reads of the given sizes, each copied into an array padded with line feeds
   * so reading outside the range would show; stops at the first read not wholly consumed.
   */
  private static int feedInReads(Http1ResponseDecoder decoder, byte[] bytes, List<Integer> reads) {
    int consumed = 0;
    int pos = 0;
    for (int i = 0; pos < bytes.length; i++) {
      int n = Math.min(reads.get(i % reads.size()), bytes.length - pos);
      int offset = 1 + i % 5;
      byte[] padded = new byte[offset + n + 3];
      Arrays.fill(padded, (byte) '\n');
      System.arraycopy(bytes, pos, padded, offset, n);
      int used = decoder.feed(padded, offset, n);
      assertThat(used).isBetween(0, n);
      consumed += used;
      if (used < n) {
        assertThat(decoder.done()).as("bytes left over before the response was done").isTrue();
        break;
      }
      pos += n;
    }
    return consumed;
  }

  /** The exclusive ends of non-empty chunks covering {@code [0, length)}; none when empty. */
  private static TreeSet<Integer> chunkEnds(int length, List<Double> cuts) {
    TreeSet<Integer> ends = new TreeSet<>();
    for (double cut : cuts) {
      int at = (int) Math.round(cut * length);
      if (at > 0) {
        ends.add(at);
      }
    }
    if (length > 0) {
      ends.add(length);
    }
    return ends;
  }

  private static String sizeLine(int size, ChunkStyle style) {
    String hex = Integer.toHexString(size);
    return "0".repeat(style.leadingZeros())
        + (style.upperHex() ? hex.toUpperCase(Locale.ROOT) : hex)
        + style.extension() + style.lineEnd();
  }

  @Provide
  Arbitrary<Integer> forbiddenValueBytes() {
    // CTL except HTAB, and DEL (RFC 9110 §5.5); SP and HTAB are the only whitespace trimmed
    List<Integer> bytes = new java.util.ArrayList<>();
    for (int b = 0; b < 0x20; b++) {
      if (b != '\t' && b != '\n' && b != '\r') {
        bytes.add(b);
      }
    }
    bytes.add(0x7f);
    return Arbitraries.of(bytes);
  }

  @Property(tries = 200)
  void aControlCharacterAnywhereInAHeaderOrTrailerValueIsRefused(
      @ForAll("forbiddenValueBytes") int ctl,
      @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 8) int position,
      @ForAll boolean inTrailer,
      @ForAll("reads") List<Integer> reads) {
    String value = "text/event-stream";
    int at = Math.min(position, value.length());
    String bad = value.substring(0, at) + (char) ctl + value.substring(at);
    String response = inTrailer
        ? "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nX-T: " + bad
            + "\r\n\r\n"
        : "HTTP/1.1 200 OK\r\nContent-Type: " + bad + "\r\nContent-Length: 2\r\n\r\nok";
    Http1ResponseDecoder decoder = new Http1ResponseDecoder(new Recorder(), false);

    assertThatThrownBy(() -> feedInReads(decoder, ascii(response), reads))
        .isInstanceOf(Http1ResponseDecoder.Http1FormatException.class)
        .hasMessageContaining("control character");
    assertThat(decoder.reusable()).isFalse();
  }

  @Property(tries = 200)
  void aHeaderNameWithAnyNonTokenByteIsRefused(
      @ForAll @net.jqwik.api.constraints.IntRange(min = 0, max = 255) int b,
      @ForAll("reads") List<Integer> reads) {
    Assume.that(!isTchar(b) && b != ':' && b != '\n' && b != '\r');
    String response = "HTTP/1.1 200 OK\r\nX-" + (char) b + "A: 1\r\nContent-Length: 2\r\n\r\nok";
    Http1ResponseDecoder decoder = new Http1ResponseDecoder(new Recorder(), false);

    assertThatThrownBy(() -> feedInReads(decoder, ascii(response), reads))
        .isInstanceOf(Http1ResponseDecoder.Http1FormatException.class);
    assertThat(decoder.reusable()).isFalse();
  }

  private static boolean isTchar(int b) {
    return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
        || b > 0 && b < 128 && "!#$%&'*+-.^_`|~".indexOf(b) >= 0;
  }
}
