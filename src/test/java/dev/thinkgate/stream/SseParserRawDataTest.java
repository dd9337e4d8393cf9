package dev.thinkgate.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.buffer.Buffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The bytes mode of {@link SseParser}: the same framing rules, the data handed over undecoded. */
class SseParserRawDataTest {
  private final List<byte[]> data = new ArrayList<>();
  private final SseParser parser = SseParser.forRawData(
      (bytes, offset, length) -> data.add(Arrays.copyOfRange(bytes, offset, offset + length)));

  private void feed(String... parts) {
    for (String part : parts) {
      parser.feed(Buffer.buffer(part));
    }
  }

  private List<String> texts() {
    return data.stream().map(b -> new String(b, StandardCharsets.UTF_8)).toList();
  }

  @Test
  void handsOverEachEventsDataAsBytes() {
    // Given two OpenAI frames and the end sentinel
    feed("data: {\"a\":1}\n\ndata: {\"b\":2}\n\ndata: [DONE]\n\n");
    parser.end();

    // Then each frame's data arrives without the field name, the space or the line ending
    assertThat(texts()).containsExactly("{\"a\":1}", "{\"b\":2}", "[DONE]");
    assertThat(parser.hadTruncatedEvent()).isFalse();
  }

  @Test
  void joinsDataLinesWithLfWhateverTheLineEndings() {
    feed("data: first\r\ndata:second\rdata\ndata:  indented\r\n\r\n");

    assertThat(texts()).containsExactly("first\nsecond\n\n indented");
  }

  @Test
  void crAtTheEndOfOneBufferAndLfAtTheStartOfTheNextAreOneLineEnding() {
    feed("data: a\r", "\ndata: b\r", "\n\r", "\n");

    assertThat(texts()).containsExactly("a\nb");
  }

  @Test
  void passesMultiByteCharactersSplitAtEveryByteThroughUnchanged() {
    byte[] frame = "data: 思考🙂 ok\n\n".getBytes(StandardCharsets.UTF_8);
    byte[] expected = "思考🙂 ok".getBytes(StandardCharsets.UTF_8);
    for (int cut = 0; cut <= frame.length; cut++) {
      // Given the frame cut at one byte offset
      List<byte[]> got = new ArrayList<>();
      SseParser p = SseParser.forRawData((b, o, l) -> got.add(Arrays.copyOfRange(b, o, o + l)));
      p.feed(Buffer.buffer(Arrays.copyOfRange(frame, 0, cut)));
      p.feed(Buffer.buffer(Arrays.copyOfRange(frame, cut, frame.length)));

      // Then the bytes are the original ones
      assertThat(got).as("cut at %d", cut).hasSize(1);
      assertThat(got.get(0)).as("cut at %d", cut).isEqualTo(expected);
    }
  }

  @Test
  void invalidUtf8IsHandedOverAsReceived() {
    // Given data bytes that are not UTF-8 (the String mode would replace them with U+FFFD)
    byte[] frame = {'d', 'a', 't', 'a', ':', ' ', (byte) 0xC3, 'x', (byte) 0xFF, '\n', '\n'};

    parser.feed(Buffer.buffer(frame));

    assertThat(data).hasSize(1);
    assertThat(data.get(0)).isEqualTo(new byte[] {(byte) 0xC3, 'x', (byte) 0xFF});
  }

  @Test
  void ignoresCommentsEventTypesAndEventsWithoutData() {
    feed(": ping\n\n", "event: ping\n\n", "event: update\nid: 7\ndata: x\n: mid\nfoo: bar\n\n");

    assertThat(texts()).containsExactly("x");
    assertThat(parser.lastEventId()).isEqualTo("7");
  }

  @Test
  void emptyDataLineIsAnEventWithEmptyData() {
    feed("data\n\n", "data:\ndata:\n\n");

    assertThat(texts()).containsExactly("", "\n");
  }

  @Test
  void skipsLeadingByteOrderMark() {
    parser.feed(Buffer.buffer(new byte[] {(byte) 0xEF, (byte) 0xBB}));
    parser.feed(Buffer.buffer(new byte[] {(byte) 0xBF}));
    feed("data: x\n\n");

    assertThat(texts()).containsExactly("x");
  }

  @Test
  void readsASliceOfALargerBufferFromItsOwnStart() {
    // Given a buffer that is a view at an offset into another one
    Buffer whole = Buffer.buffer("garbage\n\ndata: sliced\n\n");

    parser.feed(whole.slice(9, whole.length()));

    assertThat(texts()).containsExactly("sliced");
  }

  @Test
  void eventsLargerThanTheInitialArrayGrowIt() {
    String big = "x".repeat(5000);

    feed("data: " + big + "\n", "data: " + big + "\n\n", "data: small\n\n");

    assertThat(texts()).containsExactly(big + "\n" + big, "small");
  }

  @Test
  void aReadOfMoreThan64KiBIsParsedToo() {
    // Given one upstream read of more than 64 KiB holding many events, then a small one
    StringBuilder wire = new StringBuilder();
    for (int i = 0; i < 2000; i++) {
      wire.append("data: {\"n\":").append(i).append(",\"pad\":\"").append("y".repeat(40))
          .append("\"}\n\n");
    }
    feed(wire.toString(), "data: after\n\n");

    assertThat(texts()).hasSize(2001);
    assertThat(texts().get(1999)).startsWith("{\"n\":1999,");
    assertThat(texts().get(2000)).isEqualTo("after");
  }

  @Test
  void unterminatedEventIsDiscardedAndReported() {
    feed("data: whole\n\n", "data: cut\n");
    parser.end();

    assertThat(texts()).containsExactly("whole");
    assertThat(parser.hadTruncatedEvent()).isTrue();
  }

  @Test
  void eventDataLongerThanTheCapFailsTheStream() {
    SseParser small = SseParser.forRawData((b, o, l) -> data.add(new byte[0]), 16);

    assertThatThrownBy(() -> small.feed(Buffer.buffer("data: 0123456\ndata: 0123456\ndata: 0\n")))
        .isInstanceOf(SseFormatException.class)
        .hasMessageContaining("16 bytes");
    assertThat(data).isEmpty();
    assertThatThrownBy(() -> small.feed(Buffer.buffer("\n")))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void capCountsBytesNotChars() {
    // Given 5 three-byte characters: 5 chars, 15 bytes, plus one for the line as the cap counts
    SseParser small = SseParser.forRawData((b, o, l) -> data.add(new byte[0]), 15);

    assertThatThrownBy(() -> small.feed(Buffer.buffer("data:思思思思思\n")))
        .isInstanceOf(SseFormatException.class);
  }

  @Test
  void theHandlerMayEndTheStream() {
    // Given a handler that ends the parser on the first event
    List<String> got = new ArrayList<>();
    SseParser[] self = new SseParser[1];
    self[0] = SseParser.forRawData((b, o, l) -> {
      got.add(new String(b, o, l, StandardCharsets.UTF_8));
      self[0].end();
    });

    self[0].feed(Buffer.buffer("data: one\n\ndata: two\n\n"));

    assertThat(got).containsExactly("one");
  }

  @Test
  void lineEndScanFindsTheFirstCrOrLfAtEveryPosition() {
    // Given lines of every length up to a few words, with bytes that differ from CR/LF in one bit
    for (int length = 0; length < 40; length++) {
      for (byte terminator : new byte[] {'\n', '\r'}) {
        byte[] bytes = new byte[length + 3];
        Arrays.fill(bytes, (byte) 0x8A); // 0x0A with the high bit set: not a line end
        bytes[length] = terminator;
        bytes[length + 1] = '\n';

        assertThat(SseParser.indexOfLineEnd(bytes, 0, bytes.length)).isEqualTo(length);
        assertThat(SseParser.indexOfLineEnd(bytes, 0, length)).isEqualTo(length);
      }
    }
  }
}
