package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thinkgate.proxy.Http1ResponseDecoder.Http1FormatException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class Http1ResponseDecoderTest {
  /** Records every callback in order; body ranges are copied because they are valid only in the call. */
  private static final class Recorder implements Http1ResponseDecoder.Listener {
    final List<String> events = new ArrayList<>();
    final ByteArrayOutputStream body = new ByteArrayOutputStream();
    /** The array and bounds of the feed call in progress, to check that ranges stay inside it. */
    byte[] fedArray;
    int fedFrom;
    int fedTo;

    @Override
    public void onHead(int status, boolean keepAlive) {
      events.add("head " + status + " keepAlive=" + keepAlive);
    }

    @Override
    public void onBody(byte[] bytes, int offset, int length) {
      assertThat(bytes).isSameAs(fedArray);
      assertThat(length).as("an empty body range").isPositive();
      assertThat(offset).isGreaterThanOrEqualTo(fedFrom);
      assertThat(offset + length).isLessThanOrEqualTo(fedTo);
      body.write(bytes, offset, length);
      events.add("body " + new String(bytes, offset, length, StandardCharsets.ISO_8859_1));
    }

    @Override
    public void onEnd() {
      events.add("end");
    }

    String bodyText() {
      return body.toString(StandardCharsets.ISO_8859_1);
    }

    long count(String prefix) {
      return events.stream().filter(e -> e.startsWith(prefix)).count();
    }
  }

  private final Recorder recorder = new Recorder();

  private static byte[] ascii(String text) {
    return text.getBytes(StandardCharsets.ISO_8859_1);
  }

  /**
   * Feeds the bytes from the middle of a larger array whose padding is line feeds and digits, so a
   * decoder that reads outside its range or ignores the offset misparses.
   */
  private int feed(Http1ResponseDecoder decoder, byte[] bytes) {
    byte[] padded = new byte[bytes.length + 14];
    Arrays.fill(padded, (byte) '\n');
    padded[0] = '7';
    padded[padded.length - 1] = '7';
    System.arraycopy(bytes, 0, padded, 7, bytes.length);
    recorder.fedArray = padded;
    recorder.fedFrom = 7;
    recorder.fedTo = 7 + bytes.length;
    return decoder.feed(padded, 7, bytes.length);
  }

  private int feed(Http1ResponseDecoder decoder, String text) {
    return feed(decoder, ascii(text));
  }

  /** Feeds one byte per call; returns how many bytes were consumed in all. */
  private int feedByteByByte(Http1ResponseDecoder decoder, byte[] bytes) {
    int consumed = 0;
    for (byte b : bytes) {
      consumed += feed(decoder, new byte[] {b});
    }
    return consumed;
  }

  private Http1ResponseDecoder decoder() {
    return new Http1ResponseDecoder(recorder, false);
  }

  @Test
  void decodesAChunkedBodyWithChunkExtensionsAndTrailersAndStaysReusable() {
    // Given a chunked response with extensions on a data chunk and on the last chunk, and trailers
    String response = "HTTP/1.1 200 OK\r\n"
        + "Content-Type: text/event-stream\r\n"
        + "Transfer-Encoding: chunked\r\n"
        + "\r\n"
        + "5;foo=bar\r\nhello\r\n"
        + "6 ; name=\"quoted;value\"\r\n world\r\n"
        + "0;last=1\r\n"
        + "X-Trailer: yes\r\n"
        + "X-Other: 2\r\n"
        + "\r\n";
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, response);

    // Then
    assertThat(consumed).isEqualTo(response.length());
    assertThat(recorder.events)
        .containsExactly("head 200 keepAlive=true", "body hello", "body  world", "end");
    assertThat(decoder.done()).isTrue();
    assertThat(decoder.reusable()).isTrue();
    assertThat(decoder.endOfInput()).isTrue();
  }

  @Test
  void readsChunkSizesAsHexInEitherCaseAndWithLeadingZeros() {
    // Given chunk sizes 0x1A (upper case), 0x0b (lower case, leading zero)
    String first = "abcdefghijklmnopqrstuvwxyz";
    String second = "ABCDEFGHIJK";
    String response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "1A\r\n" + first + "\r\n"
        + "0b\r\n" + second + "\r\n"
        + "000\r\n\r\n";
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, response);

    // Then
    assertThat(consumed).isEqualTo(response.length());
    assertThat(recorder.bodyText()).isEqualTo(first + second);
    assertThat(decoder.reusable()).isTrue();
  }

  @Test
  void decodesAChunkedBodyFedOneByteAtATime() {
    // Given
    String response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "3;x=y\r\nabc\r\n2\r\n\r\n\r\n0\r\nT: 1\r\n\r\n";
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feedByteByByte(decoder, ascii(response));

    // Then the body includes the CRLF that is chunk data, each byte reported once
    assertThat(consumed).isEqualTo(response.length());
    assertThat(recorder.bodyText()).isEqualTo("abc\r\n");
    assertThat(recorder.count("head")).isEqualTo(1);
    assertThat(recorder.events).last().isEqualTo("end");
    assertThat(decoder.reusable()).isTrue();
  }

  @Test
  void decodesAContentLengthBodyAcrossReads() {
    // Given a body of 11 bytes arriving in three reads
    Http1ResponseDecoder decoder = decoder();

    // When
    String head = "HTTP/1.1 201 Created\r\nContent-Length: 11\r\n\r\n";
    int first = feed(decoder, head + "hel");
    boolean doneEarly = decoder.done();
    int middle = feed(decoder, "lo wo");
    int last = feed(decoder, "rld");

    // Then
    assertThat(doneEarly).isFalse();
    assertThat(first + middle + last).isEqualTo(head.length() + 11);
    assertThat(recorder.events)
        .containsExactly("head 201 keepAlive=true", "body hel", "body lo wo", "body rld", "end");
    assertThat(decoder.done()).isTrue();
    assertThat(decoder.reusable()).isTrue();
  }

  @Test
  void aBodyDelimitedByTheCloseEndsOnlyAtEndOfInputAndTheConnectionIsNotReused() {
    // Given an HTTP/1.1 response with neither Content-Length nor Transfer-Encoding
    Http1ResponseDecoder decoder = decoder();
    feed(decoder, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nfirst ");
    feed(decoder, "second\r\n0\r\n\r\n");
    boolean doneBeforeClose = decoder.done();

    // When the connection closes
    boolean complete = decoder.endOfInput();

    // Then everything before the close was body, including what looks like chunk framing
    assertThat(doneBeforeClose).isFalse();
    assertThat(complete).isTrue();
    assertThat(recorder.bodyText()).isEqualTo("first second\r\n0\r\n\r\n");
    assertThat(recorder.events).first().isEqualTo("head 200 keepAlive=false");
    assertThat(recorder.events).last().isEqualTo("end");
    assertThat(recorder.count("end")).isEqualTo(1);
    assertThat(decoder.done()).isTrue();
    assertThat(decoder.reusable()).isFalse();
  }

  @Test
  void aBodyDelimitedByTheCloseMayBeEmpty() {
    // Given
    Http1ResponseDecoder decoder = decoder();
    feed(decoder, "HTTP/1.1 200 OK\r\n\r\n");

    // When
    boolean complete = decoder.endOfInput();

    // Then
    assertThat(complete).isTrue();
    assertThat(recorder.events).containsExactly("head 200 keepAlive=false", "end");
    assertThat(decoder.reusable()).isFalse();
  }

  @Test
  void contentLengthZeroEndsAtTheHeadAndLeavesTheNextBytes() {
    // Given a response with an empty body followed by bytes of the next response
    String response = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, response + "HTTP/1.1 200 OK\r\n");

    // Then
    assertThat(consumed).isEqualTo(response.length());
    assertThat(recorder.events).containsExactly("head 200 keepAlive=true", "end");
    assertThat(decoder.reusable()).isTrue();
  }

  @ParameterizedTest
  @ValueSource(ints = {204, 304})
  void noContentAndNotModifiedHaveNoBodyWhateverTheirHeadersSay(int status) {
    // Given a body-less status that still carries framing headers, then the next response's bytes
    String response = "HTTP/1.1 " + status + " Whatever\r\n"
        + "Content-Length: 42\r\nETag: \"x\"\r\n\r\n";
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, response + "HTTP/1.1 200 OK\r\n\r\n");

    // Then
    assertThat(consumed).isEqualTo(response.length());
    assertThat(recorder.events).containsExactly("head " + status + " keepAlive=true", "end");
    assertThat(decoder.reusable()).isTrue();
  }

  @Test
  void noContentWithTransferEncodingChunkedHasNoBodyEither() {
    // Given
    String response = "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n";
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, response + "0\r\n\r\n");

    // Then
    assertThat(consumed).isEqualTo(response.length());
    assertThat(recorder.events).containsExactly("head 204 keepAlive=true", "end");
  }

  @ParameterizedTest
  @ValueSource(strings = {"Content-Length: 1234", "Transfer-Encoding: chunked"})
  void theResponseToAHeadRequestHasNoBody(String framing) {
    // Given a decoder for a HEAD request and a response announcing a body
    String response = "HTTP/1.1 200 OK\r\n" + framing + "\r\n\r\n";
    Http1ResponseDecoder decoder = new Http1ResponseDecoder(recorder, true);

    // When the next response's bytes follow at once
    int consumed = feed(decoder, response + "HTTP/1.1 200 OK\r\n");

    // Then
    assertThat(consumed).isEqualTo(response.length());
    assertThat(recorder.events).containsExactly("head 200 keepAlive=true", "end");
    assertThat(decoder.done()).isTrue();
    assertThat(decoder.reusable()).isTrue();
  }

  @Test
  void interimResponsesAreSkippedAndOnlyTheFinalHeadIsReported() {
    // Given a 100 Continue and a 103 Early Hints (whose stray Content-Length must not leak)
    // before the final response, split across reads
    Http1ResponseDecoder decoder = decoder();

    // When
    List<String> reads = List.of(
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\n",
        "Link: </style.css>; rel=preload\r\nContent-Length: 5\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    int consumed = feed(decoder, reads.get(0)) + feed(decoder, reads.get(1));
    boolean headSeenEarly = !recorder.events.isEmpty();
    consumed += feed(decoder, reads.get(2));

    // Then
    assertThat(headSeenEarly).isFalse();
    assertThat(consumed).isEqualTo(String.join("", reads).length());
    assertThat(recorder.events).containsExactly("head 200 keepAlive=true", "body hi", "end");
    assertThat(decoder.reusable()).isTrue();
  }

  @Test
  void aConnectionCloseInAnInterimResponseDoesNotCarryOverToTheFinalOne() {
    // Given
    String response = "HTTP/1.1 100 Continue\r\nConnection: close\r\n\r\n"
        + "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
    Http1ResponseDecoder decoder = decoder();

    // When
    feed(decoder, response);

    // Then
    assertThat(recorder.events).containsExactly("head 200 keepAlive=true", "body x", "end");
    assertThat(decoder.reusable()).isTrue();
  }

  @Test
  void connectionCloseMakesTheConnectionNotReusable() {
    // Given
    String response = "HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 3\r\n\r\nabc";
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, response);

    // Then the body is still decoded in full
    assertThat(consumed).isEqualTo(response.length());
    assertThat(recorder.events).containsExactly("head 200 keepAlive=false", "body abc", "end");
    assertThat(decoder.done()).isTrue();
    assertThat(decoder.reusable()).isFalse();
  }

  @Test
  void http10WithoutKeepAliveIsNotReusable() {
    // Given
    String response = "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok";
    Http1ResponseDecoder decoder = decoder();

    // When
    feed(decoder, response);

    // Then
    assertThat(recorder.events).containsExactly("head 200 keepAlive=false", "body ok", "end");
    assertThat(decoder.reusable()).isFalse();
  }

  @Test
  void http10WithConnectionKeepAliveIsReusable() {
    // Given
    String response = "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nok";
    Http1ResponseDecoder decoder = decoder();

    // When
    feed(decoder, response);

    // Then
    assertThat(recorder.events).containsExactly("head 200 keepAlive=true", "body ok", "end");
    assertThat(decoder.reusable()).isTrue();
  }

  static Stream<Arguments> keepAliveCases() {
    return Stream.of(
        Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", false, true),
        Arguments.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", false, true),
        Arguments.of("HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", false, true),
        Arguments.of("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false, false),
        Arguments.of("HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n", false, false),
        Arguments.of("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false, false),
        Arguments.of("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", false, true),
        Arguments.of("HTTP/1.0 204 No Content\r\n\r\n", false, false),
        Arguments.of("HTTP/1.1 204 No Content\r\n\r\n", false, true),
        Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\n", true, true),
        Arguments.of("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 9\r\n\r\n", true, false),
        // read until close: the connection ends with the body, so it cannot be kept alive
        Arguments.of("HTTP/1.1 200 OK\r\n\r\nbody", false, false),
        Arguments.of("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n\r\nbody", false, false));
  }

  @ParameterizedTest
  @MethodSource("keepAliveCases")
  void theKeepAliveArgumentOfOnHeadAgreesWithReusable(
      String response, boolean headRequest, boolean expectedKeepAlive) {
    // Given
    Http1ResponseDecoder decoder = new Http1ResponseDecoder(recorder, headRequest);

    // When
    feed(decoder, response);
    decoder.endOfInput();

    // Then
    assertThat(recorder.events).first().asString().endsWith("keepAlive=" + expectedKeepAlive);
    assertThat(decoder.done()).isTrue();
    assertThat(decoder.reusable()).isEqualTo(expectedKeepAlive);
  }

  @Test
  void transferEncodingTogetherWithContentLengthIsRefused() {
    // Given both framings (RFC 9112 §6.3 lets a client prefer Transfer-Encoding; a proxy that
    // does so while another hop reads Content-Length is open to response smuggling, §11.2)
    String response = "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: Chunked\r\n\r\n"
        + "4\r\nwiki\r\n0\r\n\r\n";
    Http1ResponseDecoder decoder = decoder();

    // When / Then: an error, so the connection is closed, not reused
    assertThatThrownBy(() -> feed(decoder, response))
        .isInstanceOf(Http1FormatException.class)
        .hasMessageContaining("both transfer-encoding and content-length");
    assertThat(decoder.reusable()).isFalse();
  }

  @Test
  void anHttp10ResponseWithTransferEncodingIsDecodedButNotReused() {
    // Given an HTTP/1.0 response that says chunked and keep-alive (RFC 9112 §6.1: faulty framing,
    // the recipient must close the connection after the message)
    String response = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "4\r\nwiki\r\n0\r\n\r\n";
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, response);

    // Then
    assertThat(consumed).isEqualTo(response.length());
    assertThat(recorder.events).containsExactly("head 200 keepAlive=false", "body wiki", "end");
    assertThat(decoder.reusable()).isFalse();
  }

  @Test
  void aHigherHttp1MinorVersionIsReadAsHttp11() {
    // Given HTTP/1.2 (RFC 9110 §2.5: process as the highest minor version implemented)
    String response = "HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nok";
    Http1ResponseDecoder decoder = decoder();

    // When
    feed(decoder, response);

    // Then
    assertThat(recorder.events).containsExactly("head 200 keepAlive=true", "body ok", "end");
    assertThat(decoder.reusable()).isTrue();
  }

  @Test
  void aZeroPaddedChunkSizeIsAccepted() {
    // Given chunk sizes padded with more than fifteen leading zeros (1*HEXDIG, RFC 9112 §7.1)
    String response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "0000000000000000000004\r\nwiki\r\n00000000000000000000\r\n\r\n";
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, response);

    // Then
    assertThat(consumed).isEqualTo(response.length());
    assertThat(recorder.bodyText()).isEqualTo("wiki");
    assertThat(decoder.reusable()).isTrue();
  }

  @Test
  void trailerFieldsAreCheckedAsFieldLines() {
    // Given a well-formed trailer section
    String response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "4\r\nwiki\r\n0\r\nX-Checksum: abc\r\nX-Empty:\r\n\r\n";
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, response);

    // Then
    assertThat(consumed).isEqualTo(response.length());
    assertThat(decoder.reusable()).isTrue();
  }

  @Test
  void bytesAfterAChunkedResponseAreNotConsumedAndDecodeAsTheNextResponse() {
    // Given two pipelined responses in one read
    String first = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\none\r\n0\r\n\r\n";
    String second = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\ntwo";
    byte[] both = ascii(first + second);
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, both);
    int consumedAfterDone = feed(decoder, "more");
    Http1ResponseDecoder next = decoder();
    int consumedByNext = feed(next, Arrays.copyOfRange(both, consumed, both.length));

    // Then
    assertThat(consumed).isEqualTo(first.length());
    assertThat(consumedAfterDone).isZero();
    assertThat(consumedByNext).isEqualTo(second.length());
    assertThat(recorder.events).containsExactly(
        "head 200 keepAlive=true", "body one", "end",
        "head 404 keepAlive=true", "body two", "end");
  }

  @Test
  void bytesAfterAContentLengthResponseAreNotConsumed() {
    // Given the body's last bytes and the next response's first bytes in one read
    Http1ResponseDecoder decoder = decoder();
    feed(decoder, "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nab");

    // When
    int consumed = feed(decoder, "cdefHTTP/1.1 200 OK\r\n");

    // Then
    assertThat(consumed).isEqualTo(4);
    assertThat(recorder.bodyText()).isEqualTo("abcdef");
    assertThat(recorder.events).last().isEqualTo("end");
  }

  @Test
  void endOfInputInTheMiddleOfAChunkIsATruncatedResponse() {
    // Given a chunk of 10 bytes of which only 4 arrived
    Http1ResponseDecoder decoder = decoder();
    feed(decoder, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123");

    // When
    boolean complete = decoder.endOfInput();

    // Then
    assertThat(complete).isFalse();
    assertThat(decoder.done()).isFalse();
    assertThat(decoder.reusable()).isFalse();
    assertThat(recorder.events).containsExactly("head 200 keepAlive=true", "body 0123");
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "",
      "HTTP/1.1 200 OK\r\nContent-Le",
      "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-Trailer: 1\r\n"})
  void endOfInputBeforeTheResponseIsCompleteIsATruncatedResponse(String partial) {
    // Given
    Http1ResponseDecoder decoder = decoder();
    feed(decoder, partial);

    // When
    boolean complete = decoder.endOfInput();

    // Then
    assertThat(complete).isFalse();
    assertThat(decoder.done()).isFalse();
    assertThat(recorder.events).doesNotContain("end");
  }

  @Test
  void bareLineFeedLineEndingsAreAccepted() {
    // Given every line ended by LF alone
    String response = "HTTP/1.1 200 OK\nTransfer-Encoding: chunked\nX-A: b\n\n"
        + "5;ext\nhello\n2\n\r\n\n0\nTrailer: t\n\n";
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, response);

    // Then
    assertThat(consumed).isEqualTo(response.length());
    assertThat(recorder.bodyText()).isEqualTo("hello\r\n");
    assertThat(recorder.events).last().isEqualTo("end");
    assertThat(decoder.reusable()).isTrue();
  }

  @Test
  void emptyLinesBeforeTheStatusLineAreTolerated() {
    // Given
    String response = "\r\n\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz";
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, response);

    // Then
    assertThat(consumed).isEqualTo(response.length());
    assertThat(recorder.events).containsExactly("head 200 keepAlive=true", "body z", "end");
  }

  @Test
  void aStatusLineWithoutReasonPhraseIsAccepted() {
    // Given
    Http1ResponseDecoder decoder = decoder();

    // When
    feed(decoder, "HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n");

    // Then
    assertThat(recorder.events).containsExactly("head 503 keepAlive=true", "end");
  }

  @Test
  void headersAreMatchedCaseInsensitivelyWithSurroundingWhitespace() {
    // Given
    String response = "HTTP/1.1 200 OK\r\ncontent-LENGTH:\t 3 \t\r\nCONNECTION:   CLOSE\r\n\r\nxyz";
    Http1ResponseDecoder decoder = decoder();

    // When
    feed(decoder, response);

    // Then
    assertThat(recorder.events).containsExactly("head 200 keepAlive=false", "body xyz", "end");
    assertThat(decoder.reusable()).isFalse();
  }

  @Test
  void repeatedEqualContentLengthsAreAccepted() {
    // Given
    Http1ResponseDecoder decoder = decoder();

    // When
    feed(decoder, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok");

    // Then
    assertThat(recorder.events).containsExactly("head 200 keepAlive=true", "body ok", "end");
  }

  @Test
  void onBodyRangesAreExactlyTheBodyBytesIncludingLineEndsAndHighBytes() {
    // Given a body of every byte value, CR and LF among them, sent as three chunks
    byte[] body = new byte[256];
    for (int i = 0; i < body.length; i++) {
      body[i] = (byte) (255 - i);
    }
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    wire.writeBytes(ascii("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"));
    wire.writeBytes(ascii("F3\r\n"));
    wire.write(body, 0, 0xF3); // ends right after 0x0D, the data's own CR
    wire.writeBytes(ascii("\r\n1\r\n"));
    wire.write(body, 0xF3, 1); // the data's LF alone
    wire.writeBytes(ascii("\r\nc\r\n"));
    wire.write(body, 0xF4, 12);
    wire.writeBytes(ascii("\r\n0\r\n\r\n"));
    byte[] response = wire.toByteArray();
    Http1ResponseDecoder decoder = decoder();

    // When fed in reads of 7 bytes that cut lines, data and line ends anywhere
    int consumed = 0;
    for (int from = 0; from < response.length; from += 7) {
      consumed += feed(decoder, Arrays.copyOfRange(response, from, Math.min(response.length, from + 7)));
    }

    // Then
    assertThat(consumed).isEqualTo(response.length);
    assertThat(recorder.body.toByteArray()).isEqualTo(body);
    assertThat(recorder.count("head")).isEqualTo(1);
    assertThat(recorder.count("end")).isEqualTo(1);
    assertThat(decoder.reusable()).isTrue();
  }

  @Test
  void onBodyRangesOfAContentLengthBodyAreExactlyTheBodyBytes() {
    // Given a binary body whose bytes look like HTTP framing
    byte[] body = ascii("0\r\n\r\nHTTP/1.1 200 OK\r\n\n\r");
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    wire.writeBytes(ascii("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n"));
    wire.writeBytes(body);
    wire.writeBytes(ascii("HTTP/1.1")); // the next response
    byte[] response = wire.toByteArray();
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, response);

    // Then
    assertThat(consumed).isEqualTo(response.length - 8);
    assertThat(recorder.body.toByteArray()).isEqualTo(body);
  }

  static Stream<Arguments> malformedResponses() {
    String chunked = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    return Stream.of(
        Arguments.of("FTP/1.1 200 OK\r\n\r\n", "not an HTTP/1.x status line"),
        Arguments.of("HTTP/2 200 OK\r\n\r\n", "not an HTTP/1.x status line"),
        Arguments.of("HTTP/1.1 200\r\n\r\n".replace(" ", "\t"), "not an HTTP/1.x status line"),
        Arguments.of("HTTP/1.1 20\r\n\r\n", "not an HTTP/1.x status line"),
        Arguments.of("HTTP/1.1 2x0 OK\r\n\r\n", "bad status code"),
        Arguments.of("HTTP/1.1 099 Low\r\n\r\n", "bad status code"),
        Arguments.of("HTTP/1.1 -20 Negative\r\n\r\n", "bad status code"),
        Arguments.of("HTTP/1.1 2000 OK\r\n\r\n", "bad status code"),
        Arguments.of("HTTP/1.1 200 OK\r\nContent-Length 5\r\n\r\nhello", "malformed header line"),
        Arguments.of("HTTP/1.1 200 OK\r\n: no name\r\n\r\n", "malformed header line"),
        Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n", "bad content-length"),
        Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad content-length"),
        Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: 5, 6\r\n\r\n", "bad content-length"),
        Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n",
            "bad content-length"),
        Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
            "bad content-length"),
        Arguments.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
            "unsupported transfer-encoding 'gzip'"),
        Arguments.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            "unsupported transfer-encoding 'chunked, gzip'"),
        Arguments.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            "unsupported transfer-encoding 'gzip, chunked'"),
        Arguments.of("HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
            "whitespace in header name 'Content-Length'"),
        Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: +5\r\n\r\nhello", "bad content-length"),
        Arguments.of(chunked + "0\r\n" + ("X-Trailer: " + "t".repeat(1000) + "\r\n").repeat(70),
            "trailer section too large"),
        Arguments.of(chunked + "zz\r\n", "bad chunk size"),
        Arguments.of(chunked + "5x\r\nhello\r\n", "bad chunk size"),
        Arguments.of(chunked + "\r\n", "bad chunk size"),
        Arguments.of(chunked + ";ext=1\r\n", "bad chunk size"),
        Arguments.of(chunked + "-5\r\n", "bad chunk size"),
        Arguments.of(chunked + "3\r\nabcdef\r\n0\r\n\r\n", "chunk data longer than its size"),
        Arguments.of(chunked + "3\r\nabc0\r\n\r\n", "chunk data longer than its size"),
        // a runaway chunk: far more data than announced and no line end
        Arguments.of(chunked + "3\r\n" + "a".repeat(3000), "chunk data longer than its size"),
        Arguments.of(chunked + "5;" + "x".repeat(1100) + "\r\nhello\r\n", "chunk size line too long"),
        Arguments.of(chunked + "1" + "0".repeat(1100), "chunk size line too long"),
        Arguments.of(chunked + "0\r\nX-T: " + "t".repeat(Http1ResponseDecoder.MAX_HEAD_BYTES),
            "trailer line too long"),
        Arguments.of(chunked + "10000000000000000\r\n", "chunk size too large"),
        Arguments.of(chunked + "000010000000000000000\r\n", "chunk size too large"),
        // RFC 9112 §6.3 / §11.2: both framings at once
        Arguments.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n",
            "both transfer-encoding and content-length"),
        // only spaces and tabs are trimmed; other control characters are refused (RFC 9110 §5.5)
        Arguments.of("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\u000b\r\n\r\n",
            "control character 0xb in header value"),
        Arguments.of("HTTP/1.1 200 OK\r\nContent-Length: 2\u0000\r\n\r\nok",
            "control character 0x0 in header value"),
        Arguments.of("HTTP/1.1 200 OK\r\nX-A: a\u007fb\r\n\r\n", "control character 0x7f in header value"),
        Arguments.of("HTTP/1.1 200 OK\r\n\u000bContent-Length: 2\r\n\r\nok",
            "invalid character 0xb in header name"),
        // header names are tokens (RFC 9110 §5.1)
        Arguments.of("HTTP/1.1 200 OK\r\nX(y): 1\r\n\r\n", "invalid character 0x28 in header name"),
        Arguments.of("HTTP/1.1 200 OK\r\nX\u00e9: 1\r\n\r\n", "invalid character 0xe9 in header name"),
        // trailers are field lines too (RFC 9112 §7.1.2)
        Arguments.of(chunked + "0\r\nnot a field\r\n\r\n", "malformed trailer line"),
        Arguments.of(chunked + "0\r\nX T: 1\r\n\r\n", "whitespace in trailer name"),
        Arguments.of(chunked + "0\r\nX-T: a\u0001\r\n\r\n", "control character 0x1 in trailer value"),
        // HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3)
        Arguments.of("HTTP/1.x 200 OK\r\n\r\n", "not an HTTP/1.x status line"),
        Arguments.of(chunked + "FFFFFFFFFFFFFFFF\r\n", "chunk size too large"),
        Arguments.of("HTTP/1.1 200 OK\r\n" + manyHeaders(Http1ResponseDecoder.MAX_HEAD_BYTES + 1024)
            + "\r\n", "response head too large"),
        Arguments.of("HTTP/1.1 200 OK\r\nX-Huge: " + "h".repeat(Http1ResponseDecoder.MAX_HEAD_BYTES),
            "response head too large"),
        Arguments.of("HTTP/1.1 200 " + "r".repeat(Http1ResponseDecoder.MAX_HEAD_BYTES),
            "response head too large"));
  }

  /** Header lines of about 1 KiB each, {@code bytes} in all with their line ends. */
  private static String manyHeaders(int bytes) {
    StringBuilder headers = new StringBuilder();
    for (int i = 0; headers.length() < bytes; i++) {
      headers.append("X-Filler-").append(i).append(": ").append("v".repeat(1000)).append("\r\n");
    }
    return headers.toString();
  }

  @ParameterizedTest
  @MethodSource("malformedResponses")
  void aMalformedResponseFailsWithAClearMessageAndTheDecoderRefusesMoreInput(
      String response, String message) {
    // Given
    Http1ResponseDecoder decoder = decoder();

    // When / Then
    assertThatThrownBy(() -> feed(decoder, response))
        .isInstanceOf(Http1FormatException.class)
        .hasMessageContaining(message);
    assertThatThrownBy(() -> feed(decoder, "HTTP/1.1 200 OK\r\n\r\n"))
        .isInstanceOf(IllegalStateException.class);
    assertThat(decoder.done()).isFalse();
    assertThat(decoder.reusable()).isFalse();
    assertThat(decoder.endOfInput()).isFalse();
    assertThat(recorder.events).doesNotContain("end");
  }

  @ParameterizedTest
  @MethodSource("malformedResponses")
  void aMalformedResponseFedOneByteAtATimeFailsTheSameWay(String response, String message) {
    // Given
    Http1ResponseDecoder decoder = decoder();

    // When / Then
    assertThatThrownBy(() -> feedByteByByte(decoder, ascii(response)))
        .isInstanceOf(Http1FormatException.class)
        .hasMessageContaining(message);
    assertThatThrownBy(() -> feed(decoder, "x")).isInstanceOf(IllegalStateException.class);
    assertThat(recorder.events).doesNotContain("end");
  }

  @Test
  void anOverlongLineFailsAsSoonAsItPassesTheCapWithoutWaitingForItsEnd() {
    // Given a header line that never ends, arriving in 1 KiB reads
    Http1ResponseDecoder decoder = decoder();
    feed(decoder, "HTTP/1.1 200 OK\r\nX-Endless: ");
    byte[] kib = ascii("e".repeat(1024));

    // When
    int readsAccepted = 0;
    Http1FormatException failure = null;
    while (failure == null && readsAccepted < 1000) {
      try {
        feed(decoder, kib);
        readsAccepted++;
      } catch (Http1FormatException e) {
        failure = e;
      }
    }

    // Then it failed once the head passed the cap, not later
    assertThat(failure).isNotNull().hasMessageContaining("response head too large");
    assertThat(readsAccepted).isBetween(Http1ResponseDecoder.MAX_HEAD_BYTES / 1024 - 1,
        Http1ResponseDecoder.MAX_HEAD_BYTES / 1024);
  }

  @Test
  void aHeadJustUnderTheCapIsAccepted() {
    // Given a head of about MAX_HEAD_BYTES - 2 KiB, line ends included
    String response = "HTTP/1.1 200 OK\r\n"
        + manyHeaders(Http1ResponseDecoder.MAX_HEAD_BYTES - 2048)
        + "Content-Length: 1\r\n\r\n!";
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, response);

    // Then
    assertThat(consumed).isEqualTo(response.length());
    assertThat(recorder.events).containsExactly("head 200 keepAlive=true", "body !", "end");
  }

  @Test
  void aChunkSizeLineJustUnderItsCapAndFifteenHexDigitsAreAccepted() {
    // Given extensions filling the chunk line to 1000 bytes, and a size with 15 hex digits
    String extension = ";e=" + "x".repeat(1000 - 6);
    String response = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + "2" + extension + "\r\nab\r\n"
        + "000000000000001\r\nc\r\n0\r\n\r\n";
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = feed(decoder, response);

    // Then
    assertThat(consumed).isEqualTo(response.length());
    assertThat(recorder.bodyText()).isEqualTo("abc");
    assertThat(decoder.reusable()).isTrue();
  }

  @Test
  void feedingNothingChangesNothing() {
    // Given
    Http1ResponseDecoder decoder = decoder();

    // When
    int consumed = decoder.feed(new byte[4], 2, 0);

    // Then
    assertThat(consumed).isZero();
    assertThat(recorder.events).isEmpty();
    assertThat(decoder.done()).isFalse();
  }

  @Test
  void aNullListenerIsRejected() {
    assertThatThrownBy(() -> new Http1ResponseDecoder(null, false))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("listener");
  }
}
