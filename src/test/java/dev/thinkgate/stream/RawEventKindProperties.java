package dev.thinkgate.stream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** {@link RawEventKind} on bytes decides as the raw relay's checks on the decoded text did. */
class RawEventKindProperties {
  /**
   * The raw relay's checks as they were written on the decoded String, before they moved to
   * bytes; NEEDS_DECODING is where decoding and re-encoding would change the bytes, or where the
   * data is more than one line.
   */
  private static RawEventKind onText(byte[] bytes) {
    String data = new String(bytes, StandardCharsets.UTF_8);
    if (data.indexOf('<') >= 0 || data.contains("\"reasoning\"") || data.contains("\"error\"")) {
      return RawEventKind.REWRITE;
    }
    if (data.contains("\"usage\"") && !data.contains("\"usage\":null")) {
      return RawEventKind.USAGE;
    }
    return Arrays.equals(data.getBytes(StandardCharsets.UTF_8), bytes) && data.indexOf('\n') < 0
        ? RawEventKind.PLAIN : RawEventKind.NEEDS_DECODING;
  }

  /** Fragments of markers and near misses, JSON, multi-byte characters and stray bytes. */
  @Provide
  Arbitrary<byte[]> eventData() {
    Arbitrary<byte[]> text = Arbitraries.of("\"", "usage", "\"usage\"", ":null", ":", "null",
            "reasoning", "error", "\"reasoning", "error\"", "<", "{", "}", " ", "a", "思考",
            "🙂",
            "é", "\\\"", "\n")
        .map(s -> s.getBytes(StandardCharsets.UTF_8));
    // A lead byte (valid or not) and up to three bytes at the edges of the continuation range:
    // overlongs, surrogates, values above U+10FFFF and cut sequences all come out of it.
    Arbitrary<byte[]> stray = Combinators.combine(
            Arbitraries.of(0x80, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF4, 0xF5,
                0xFF),
            Arbitraries.of(0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0x41).list().ofMaxSize(3))
        .as((lead, tail) -> {
          byte[] bytes = new byte[1 + tail.size()];
          bytes[0] = (byte) lead.intValue();
          for (int i = 0; i < tail.size(); i++) {
            bytes[i + 1] = (byte) tail.get(i).intValue();
          }
          return bytes;
        });
    return Arbitraries.frequencyOf(
            Tuple.of(6, text), Tuple.of(1, stray))
        .list().ofMaxSize(14)
        .map(RawEventKindProperties::concat);
  }

  private static byte[] concat(List<byte[]> parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    parts.forEach(out::writeBytes);
    return out.toByteArray();
  }

  @Property(tries = 2000)
  void bytesAndTextAgree(@ForAll("eventData") byte[] data) {
    assertThat(RawEventKind.of(data, 0, data.length)).isEqualTo(onText(data));
  }

  @Property(tries = 300)
  void anyByteSoupAgreesToo(@ForAll byte[] data) {
    assertThat(RawEventKind.of(data, 0, data.length)).isEqualTo(onText(data));
  }
}
