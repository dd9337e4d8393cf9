package dev.thinkgate.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RawEventKindTest {
  private static RawEventKind of(String data) {
    byte[] bytes = data.getBytes(StandardCharsets.UTF_8);
    return RawEventKind.of(bytes, 0, bytes.length);
  }

  @Test
  void anOrdinaryChunkIsPlain() {
    assertThat(of("{\"choices\":[{\"delta\":{\"content\":\"思考 🙂\"}}],\"usage\":null}"))
        .isEqualTo(RawEventKind.PLAIN);
  }

  @Test
  void aTagStartReasoningOrErrorFieldIsARewrite() {
    assertThat(of("{\"delta\":{\"content\":\"a<b\"}}")).isEqualTo(RawEventKind.REWRITE);
    assertThat(of("{\"delta\":{\"reasoning\":\"x\"}}")).isEqualTo(RawEventKind.REWRITE);
    assertThat(of("{\"error\":{\"message\":\"x\"}}")).isEqualTo(RawEventKind.REWRITE);
    // the rewrite wins over usage and over malformed bytes
    assertThat(of("{\"usage\":{},\"x\":\"<\"}")).isEqualTo(RawEventKind.REWRITE);
  }

  @Test
  void namesMustBeWholeQuotedStrings() {
    assertThat(of("{\"reasoning_content\":\"x\",\"errors\":1,\"usage_x\":2}"))
        .isEqualTo(RawEventKind.PLAIN);
  }

  @Test
  void usageCountsOnlyWhenNoUsageNullIsPresent() {
    assertThat(of("{\"choices\":[],\"usage\":{\"total_tokens\":3}}")).isEqualTo(RawEventKind.USAGE);
    assertThat(of("{\"usage\": null}")).isEqualTo(RawEventKind.USAGE); // spelled differently
    assertThat(of("{\"usage\":null,\"x\":\"\\\"usage\\\"\"}")).isEqualTo(RawEventKind.PLAIN);
  }

  @Test
  void multiLineDataNeedsDecoding() {
    assertThat(of("{\"a\":\n1}")).isEqualTo(RawEventKind.NEEDS_DECODING);
    assertThat(of("{\"a\":1,\"b\":\"x\"}\n")).isEqualTo(RawEventKind.NEEDS_DECODING);
  }

  @Test
  void malformedUtf8NeedsDecoding() {
    byte[] overlong = {'"', (byte) 0xC0, (byte) 0xAF, '"'};
    byte[] surrogate = {(byte) 0xED, (byte) 0xA0, (byte) 0x80};
    byte[] truncated = {'a', (byte) 0xE6, (byte) 0x80};

    assertThat(RawEventKind.of(overlong, 0, 4)).isEqualTo(RawEventKind.NEEDS_DECODING);
    assertThat(RawEventKind.of(surrogate, 0, 3)).isEqualTo(RawEventKind.NEEDS_DECODING);
    assertThat(RawEventKind.of(truncated, 0, 3)).isEqualTo(RawEventKind.NEEDS_DECODING);
    // a sequence cut by the range's end is malformed even if the array continues it
    byte[] whole = "思".getBytes(StandardCharsets.UTF_8);
    assertThat(RawEventKind.of(whole, 0, 2)).isEqualTo(RawEventKind.NEEDS_DECODING);
    assertThat(RawEventKind.of(whole, 0, 3)).isEqualTo(RawEventKind.PLAIN);
  }

  @Test
  void findsEachMarkerAtEveryAlignment() {
    // Given a marker after 0..23 plain bytes (the scan reads eight bytes at a time)
    for (int pad = 0; pad < 24; pad++) {
      String before = "{\"a\":\"" + "x".repeat(pad) + "\",";

      // Then it is found wherever it falls in a word
      assertThat(of(before + "\"error\":1}")).as("pad %d", pad).isEqualTo(RawEventKind.REWRITE);
      assertThat(of(before + "\"reasoning\":\"\"}")).as("pad %d", pad)
          .isEqualTo(RawEventKind.REWRITE);
      assertThat(of(before + "\"b\":\"<\"}")).as("pad %d", pad).isEqualTo(RawEventKind.REWRITE);
      assertThat(of(before + "\"usage\":{}}")).as("pad %d", pad).isEqualTo(RawEventKind.USAGE);
      assertThat(of(before + "\"usage\":null}")).as("pad %d", pad).isEqualTo(RawEventKind.PLAIN);
      assertThat(of(before + "\"é\":1}")).as("pad %d", pad).isEqualTo(RawEventKind.PLAIN);
      assertThat(of(before + "\n\"b\":1}")).as("pad %d", pad)
          .isEqualTo(RawEventKind.NEEDS_DECODING);
      byte[] bad = (before + "\"?\":1}").getBytes(StandardCharsets.UTF_8);
      bad[before.length() + 1] = (byte) 0xFF;
      assertThat(RawEventKind.of(bad, 0, bad.length)).as("pad %d", pad)
          .isEqualTo(RawEventKind.NEEDS_DECODING);
    }
  }

  @Test
  void looksOnlyAtTheGivenRange() {
    byte[] bytes = "<{\"a\":1}\"error\"".getBytes(StandardCharsets.US_ASCII);

    assertThat(RawEventKind.of(bytes, 1, 7)).isEqualTo(RawEventKind.PLAIN);
    assertThatThrownBy(() -> RawEventKind.of(bytes, 10, 10))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }
}
