package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * {@link ForwardedBody}: the spliced client bytes parse to exactly the body the streamer would
 * otherwise encode, and the splice is refused whenever it could not be.
 */
class ForwardedBodyProperties {

  @Property(tries = 1_000)
  void theSplicedBytesParseToWhatTheReEncodedBodyWouldBe(@ForAll("bodies") String sent) {
    Buffer bytes = Buffer.buffer(sent);
    JsonObject parsed = RequestReader.parseJson(bytes);

    Buffer spliced = ForwardedBody.spliced(parsed, bytes);

    if (!Boolean.TRUE.equals(parsed.getValue("stream")) || parsed.containsKey("stream_options")) {
      assertThat(spliced).isNull();
      return;
    }
    // what HttpStreamer.Call.start encodes when there is nothing to splice into
    JsonObject reEncoded = parsed.copy().put("stream", true)
        .put("stream_options", new JsonObject().put("include_usage", true));
    assertThat(spliced).isNotNull();
    assertThat(new JsonObject(spliced)).isEqualTo(reEncoded);
    // and every byte of the client's body is still there, in order, after the brace
    String out = spliced.toString(StandardCharsets.UTF_8);
    int brace = sent.indexOf('{');
    assertThat(out.substring(0, brace + 1)).isEqualTo(sent.substring(0, brace + 1));
    assertThat(out.substring(out.length() - (sent.length() - brace - 1)))
        .isEqualTo(sent.substring(brace + 1));
  }

  @Example
  void noClientBytesNoSplice() {
    assertThat(ForwardedBody.spliced(new JsonObject().put("stream", true), null)).isNull();
  }

  @Example
  void streamOptionsEvenNullAreReEncoded() {
    String sent = "{\"model\":\"m\",\"stream\":true,\"stream_options\":null}";
    assertThat(ForwardedBody.spliced(new JsonObject(sent), Buffer.buffer(sent))).isNull();
  }

  @Example
  void aBodyNotOpeningWithAnObjectAfterJsonWhitespaceIsReEncoded() {
    // a form feed is whitespace to Character.isWhitespace, not to RFC 8259
    String sent = "\f{\"model\":\"m\",\"stream\":true}";
    assertThat(ForwardedBody.spliced(new JsonObject().put("model", "m").put("stream", true),
        Buffer.buffer(sent))).isNull();
  }

  @Example
  void anEmptyObjectIsReEncoded() {
    assertThat(ForwardedBody.spliced(new JsonObject(), Buffer.buffer("{}"))).isNull();
  }

  @Provide
  Arbitrary<String> bodies() {
    Arbitrary<String> space = Arbitraries.of("", " ", "\n", "\r\n", "\t", "  ");
    Arbitrary<String> stream = Arbitraries.of("true", "false", null);
    Arbitrary<String> streamOptions = Arbitraries.of(null, "null", "{}",
        "{\"include_usage\":false}", "{\"include_usage\": true, \"continuous_usage_stats\":true}");
    Arbitrary<String> value = Arbitraries.oneOf(
        Arbitraries.integers().map(String::valueOf),
        Arbitraries.of("1.50", "1e3", "-0.0", "null", "[]", "{\"a\":[1,{\"b\":\"}\"}]}"),
        Arbitraries.strings().ofMaxLength(12).map(s -> new JsonArray().add(s).encode()
            .replaceAll("^\\[|\\]$", "")),
        Arbitraries.of("\"caf\\u00e9\"", "\"思考 🙂\"", "\"{\\\"stream\\\":1}\"", "\"a\\\\b\""));
    Arbitrary<List<String>> extras = Combinators.combine(
            Arbitraries.of("temperature", "x_extra", "top_k", "stream", "stop", "seed"), value)
        .as((k, v) -> "\"" + k + "\":" + v).list().ofMaxSize(4);
    return Combinators.combine(space, stream, streamOptions, extras, space)
        .as((ws, st, so, extra, tail) -> {
          StringBuilder b = new StringBuilder(ws).append('{').append(ws)
              .append("\"model\"").append(ws).append(':').append(ws).append("\"m\"")
              .append(",\"messages\":[{\"role\":\"user\",\"content\":\"q\"}]");
          for (String e : extra) {
            b.append(',').append(ws).append(e);
          }
          if (st != null) {
            b.append(",\"stream\":").append(st);
          }
          if (so != null) {
            b.append(",\"stream_options\":").append(so);
          }
          return b.append(ws).append('}').append(tail).toString();
        });
  }
}
