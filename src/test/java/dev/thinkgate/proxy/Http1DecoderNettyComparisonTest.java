package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderResultProvider;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Http1ResponseDecoder} and Netty's {@link HttpResponseDecoder} (the maintained decoder
 * that Vert.x's HTTP client uses) on the same bytes, for the framing cases of RFC 9112 that matter
 * to a proxy. Each row states both outcomes. Netty 4.2 refuses the same smuggling vectors we do
 * (both framings, control characters in values, non-token names, a bad version). They differ in
 * two rows: an HTTP/1.0 response with Transfer-Encoding, which Netty refuses and we decode and
 * then close (RFC 9112 §6.1 asks for exactly that; neither reuses the connection), and a trailer
 * line that is not a field line, which Netty skips and we refuse (RFC 9112 §7.1.2).
 */
class Http1DecoderNettyComparisonTest {
  /** What a decoder made of one response: refused, or its body and whether to keep the connection. */
  record Outcome(boolean refused, String body, boolean keepAlive) {
    static Outcome refusedOutcome() {
      return new Outcome(true, "", false);
    }

    static Outcome accepted(String body, boolean keepAlive) {
      return new Outcome(false, body, keepAlive);
    }
  }

  private static final String CHUNKED = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  private static final Outcome REFUSED = Outcome.refusedOutcome();

  static Stream<Arguments> cases() {
    return Stream.of(
        // name, response, ours, Netty's
        Arguments.of("plain chunked", CHUNKED + "4\r\nwiki\r\n0\r\n\r\n",
            Outcome.accepted("wiki", true), Outcome.accepted("wiki", true)),
        Arguments.of("content-length", "HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nwiki",
            Outcome.accepted("wiki", true), Outcome.accepted("wiki", true)),
        // RFC 9112 §6.3 / §11.2: Netty lets chunked win and drops Content-Length
        Arguments.of("TE and CL", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
                + "Content-Length: 4\r\n\r\n4\r\nwiki\r\n0\r\n\r\n",
            REFUSED, NETTY_TE_AND_CL),
        // RFC 9112 §6.1: TE in an HTTP/1.0 message: decode, then close
        Arguments.of("HTTP/1.0 with TE", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
                + "Transfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n0\r\n\r\n",
            Outcome.accepted("wiki", false), NETTY_HTTP10_TE),
        // RFC 9110 §5.5: only SP and HTAB are trimmed from a field value
        Arguments.of("chunked followed by VT", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\u000b\r\n\r\n"
                + "4\r\nwiki\r\n0\r\n\r\n",
            REFUSED, NETTY_TE_VT),
        Arguments.of("content-length followed by NUL", "HTTP/1.1 200 OK\r\nContent-Length: 4\u0000\r\n\r\nwiki",
            REFUSED, NETTY_CL_NUL),
        // RFC 9110 §5.1: a field name is a token
        Arguments.of("non-token header name", "HTTP/1.1 200 OK\r\nX(y): 1\r\nContent-Length: 4\r\n\r\nwiki",
            REFUSED, NETTY_BAD_NAME),
        // RFC 9112 §7.1.2: trailer fields are field lines
        Arguments.of("malformed trailer", CHUNKED + "4\r\nwiki\r\n0\r\nnot a field\r\n\r\n",
            REFUSED, NETTY_BAD_TRAILER),
        // RFC 9112 §2.3: HTTP-version = "HTTP/" DIGIT "." DIGIT
        Arguments.of("HTTP/1.x", "HTTP/1.x 200 OK\r\nContent-Length: 4\r\n\r\nwiki",
            REFUSED, NETTY_HTTP1X),
        Arguments.of("HTTP/1.2", "HTTP/1.2 200 OK\r\nContent-Length: 4\r\n\r\nwiki",
            Outcome.accepted("wiki", true), NETTY_HTTP12),
        // RFC 9112 §7.1: chunk-size = 1*HEXDIG; leading zeros are not magnitude
        Arguments.of("zero-padded chunk size", CHUNKED + "000000000000000000004\r\nwiki\r\n0\r\n\r\n",
            Outcome.accepted("wiki", true), NETTY_ZERO_PADDED));
  }

  // What Netty did on these bytes (netty-codec-http as shipped with Vert.x 5.0.12), run by
  // nettyOutcomeIsAsRecorded below so a Netty upgrade that changes one shows up here.
  private static final Outcome NETTY_TE_AND_CL = REFUSED;
  private static final Outcome NETTY_HTTP10_TE = REFUSED;
  private static final Outcome NETTY_TE_VT = REFUSED;
  private static final Outcome NETTY_CL_NUL = REFUSED;
  private static final Outcome NETTY_BAD_NAME = REFUSED;
  private static final Outcome NETTY_BAD_TRAILER = Outcome.accepted("wiki", true);
  private static final Outcome NETTY_HTTP1X = REFUSED;
  private static final Outcome NETTY_HTTP12 = Outcome.accepted("wiki", true);
  private static final Outcome NETTY_ZERO_PADDED = Outcome.accepted("wiki", true);

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void oursIsAsSpecified(String name, String response, Outcome ours, Outcome netty) {
    assertThat(ours(response)).as("ThinkGate on " + name).isEqualTo(ours);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void nettyOutcomeIsAsRecorded(String name, String response, Outcome ours, Outcome netty) {
    assertThat(netty(response)).as("Netty on " + name).isEqualTo(netty);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void whereBothAcceptTheyAgreeOnBodyAndKeepAlive(String name, String response, Outcome ours,
      Outcome netty) {
    Outcome a = ours(response);
    Outcome b = netty(response);
    if (!a.refused() && !b.refused() && !name.equals("HTTP/1.0 with TE")) {
      assertThat(a.body()).isEqualTo(b.body());
    }
  }

  static Outcome ours(String response) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    boolean[] ended = {false};
    Http1ResponseDecoder decoder = new Http1ResponseDecoder(new Http1ResponseDecoder.Listener() {
      @Override
      public void onHead(int status, boolean keepAlive) { }

      @Override
      public void onBody(byte[] bytes, int offset, int length) {
        body.write(bytes, offset, length);
      }

      @Override
      public void onEnd() {
        ended[0] = true;
      }
    }, false);
    byte[] bytes = response.getBytes(StandardCharsets.ISO_8859_1);
    try {
      decoder.feed(bytes, 0, bytes.length);
    } catch (Http1ResponseDecoder.Http1FormatException e) {
      return REFUSED;
    }
    if (!ended[0]) {
      return REFUSED;
    }
    return Outcome.accepted(body.toString(StandardCharsets.ISO_8859_1), decoder.reusable());
  }

  static Outcome netty(String response) {
    EmbeddedChannel channel = new EmbeddedChannel(new HttpResponseDecoder());
    try {
      channel.writeInbound(Unpooled.copiedBuffer(response, StandardCharsets.ISO_8859_1));
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      boolean keepAlive = false;
      boolean ended = false;
      Object message;
      while ((message = channel.readInbound()) != null) {
        if (message instanceof DecoderResultProvider p && p.decoderResult().isFailure()) {
          return REFUSED;
        }
        if (message instanceof HttpResponse r) {
          keepAlive = HttpUtil.isKeepAlive(r);
        }
        if (message instanceof HttpContent c) {
          ByteBuf content = c.content();
          byte[] chunk = new byte[content.readableBytes()];
          content.getBytes(content.readerIndex(), chunk);
          body.write(chunk, 0, chunk.length);
          ended |= message instanceof LastHttpContent;
        }
        io.netty.util.ReferenceCountUtil.release(message);
      }
      return ended ? Outcome.accepted(body.toString(StandardCharsets.ISO_8859_1), keepAlive) : REFUSED;
    } finally {
      channel.finishAndReleaseAll();
    }
  }
}
