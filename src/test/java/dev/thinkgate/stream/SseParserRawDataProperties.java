package dev.thinkgate.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;

/** The bytes mode of {@link SseParser} agrees with its String mode on every stream and split. */
class SseParserRawDataProperties {
  /**
   * Valid streams built from pieces that exercise the framing: every line ending, comments,
   * typed events, events without data, multi-line and empty data, multi-byte characters, a BOM.
   */
  @Provide
  Arbitrary<byte[]> streams() {
    Arbitrary<String> text = Arbitraries
        .of("a", "{\"x\":1}", " ", ":", "思考", "🙂", "é", "<", "\t")
        .list().ofMaxSize(5).map(atoms -> String.join("", atoms));
    Arbitrary<String> line = Arbitraries.oneOf(
        text.map(t -> "data: " + t),
        text.map(t -> "data:" + t),
        Arbitraries.just("data"),
        text.map(t -> ": " + t),
        Arbitraries.of("event: update", "id: 3", "retry: 10", "other: x"));
    Arbitrary<String> ending = Arbitraries.of("\n", "\r\n", "\r");
    Arbitrary<String> event = Combinators.combine(
            line.list().ofMaxSize(4), ending.list().ofSize(5))
        .as((lines, endings) -> {
          StringBuilder out = new StringBuilder();
          for (int i = 0; i < lines.size(); i++) {
            out.append(lines.get(i)).append(endings.get(i));
          }
          // A blank line ends the event; after a lone CR it must be CRLF or CR, or the LF
          // would merely complete the CR.
          String last = lines.isEmpty() ? "" : endings.get(lines.size() - 1);
          String blank = endings.get(4);
          return out.append(last.equals("\r") && blank.equals("\n") ? "\r\n" : blank).toString();
        });
    // The events joined, with a byte-order mark in front now and then
    return Combinators.combine(event.list().ofMaxSize(8), Arbitraries.of(true, false))
        .as((events, bom) -> ((bom ? "\uFEFF" : "") + String.join("", events))
            .getBytes(StandardCharsets.UTF_8));
  }

  @Provide
  Arbitrary<List<Double>> cutPoints() {
    return Pieces.cuts(40);
  }

  @Property(tries = 500)
  void bytesModeYieldsTheUtf8OfTheStringModesData(
      @ForAll("streams") byte[] wire, @ForAll("cutPoints") List<Double> cuts) {
    // Given one stream cut into buffers at arbitrary bytes, fed to a parser of each mode
    List<String> strings = new ArrayList<>();
    SseParser stringMode = new SseParser(event -> strings.add(event.data()));
    List<byte[]> raw = new ArrayList<>();
    SseParser bytesMode = SseParser.forRawData(
        (bytes, offset, length) -> raw.add(Arrays.copyOfRange(bytes, offset, offset + length)));

    // When
    for (byte[] piece : Pieces.split(wire, cuts)) {
      stringMode.feed(Buffer.buffer(piece));
      bytesMode.feed(Buffer.buffer(piece));
    }
    stringMode.end();
    bytesMode.end();

    // Then the bytes mode hands over exactly the UTF-8 of what the String mode dispatched
    assertThat(raw).hasSameSizeAs(strings);
    for (int i = 0; i < strings.size(); i++) {
      assertThat(raw.get(i)).as("event %d", i)
          .isEqualTo(strings.get(i).getBytes(StandardCharsets.UTF_8));
    }
    assertThat(bytesMode.hadTruncatedEvent()).isEqualTo(stringMode.hadTruncatedEvent());
    assertThat(bytesMode.lastEventId()).isEqualTo(stringMode.lastEventId());
    assertThat(bytesMode.retryMillis()).isEqualTo(stringMode.retryMillis());
  }

  @Property(tries = 500)
  void lineEndScanAgreesWithAByteByByteSearch(
      @ForAll("lineBytes") byte[] bytes, @ForAll("cutPoints") List<Double> bounds) {
    // Given any range of any bytes
    int from = bounds.isEmpty() ? 0 : (int) (bounds.get(0) * bytes.length);
    int end = bounds.size() < 2
        ? bytes.length : Math.max(from, (int) (bounds.get(1) * bytes.length));

    // When / Then
    int expected = end;
    for (int i = from; i < end; i++) {
      if (bytes[i] == '\r' || bytes[i] == '\n') {
        expected = i;
        break;
      }
    }
    assertThat(SseParser.indexOfLineEnd(bytes, from, end)).isEqualTo(expected);
  }

  @Provide
  Arbitrary<byte[]> lineBytes() {
    // Mostly bytes near CR and LF in value (and with the high bit set) so the SWAR masks are tested
    return Arbitraries.frequencyOf(
            Tuple.of(6, Arbitraries.of((byte) 'a', (byte) 0x8A, (byte) 0x8D,
                (byte) 0x0B, (byte) 0x0C, (byte) 0x09, (byte) 0x00, (byte) 0xFF, (byte) 0x0E)),
            Tuple.of(1, Arbitraries.of((byte) '\r', (byte) '\n')),
            Tuple.of(2, Arbitraries.bytes()))
        .array(byte[].class).ofMaxSize(70);
  }
}
