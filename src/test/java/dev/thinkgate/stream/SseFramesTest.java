package dev.thinkgate.stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseFramesTest {
  @Test
  void framesDataDoneAndComments() {
    assertThat(SseFrames.data("{\"a\":1}").toString()).isEqualTo("data: {\"a\":1}\n\n");
    assertThat(SseFrames.data(new JsonObject().put("a", "x y")).toString())
        .isEqualTo("data: {\"a\":\"x y\"}\n\n");
    assertThat(SseFrames.done().toString()).isEqualTo("data: [DONE]\n\n");
    assertThat(SseFrames.comment("ping").toString()).isEqualTo(": ping\n\n");
  }

  @Test
  void appendedDataFrameEqualsTheStringFrame() {
    byte[] bytes = "xx{\"a\":\"é\"}yy".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    io.vertx.core.buffer.Buffer target = io.vertx.core.buffer.Buffer.buffer("before ");

    SseFrames.appendData(target, bytes, 2, bytes.length - 4);

    assertThat(target.toString()).isEqualTo("before " + SseFrames.data("{\"a\":\"é\"}"));
    assertThat(SseFrames.dataFrameLength(bytes.length - 4))
        .isEqualTo(SseFrames.data("{\"a\":\"é\"}").length());
  }

  @Test
  void appendedStringFrameEqualsTheStringFrameOnRandomPayloads() {
    java.util.Random random = new java.util.Random(12);
    String alphabet = "ab {}\":,\\é€😀\u2028\n\r";
    for (int n = 0; n < 2000; n++) {
      StringBuilder payload = new StringBuilder();
      for (int i = random.nextInt(20); i > 0; i--) {
        payload.appendCodePoint(alphabet.codePoints().toArray()[random.nextInt(
            (int) alphabet.codePoints().count())]);
      }
      String text = payload.toString();
      io.vertx.core.buffer.Buffer target = io.vertx.core.buffer.Buffer.buffer("before ");

      boolean appended = SseFrames.appendData(target, text);

      boolean oneLine = text.indexOf('\n') < 0 && text.indexOf('\r') < 0;
      assertThat(appended).isEqualTo(oneLine);
      assertThat(target.getBytes()).isEqualTo(oneLine
          ? io.vertx.core.buffer.Buffer.buffer("before ").appendBuffer(SseFrames.data(text)).getBytes()
          : "before ".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
  }

  @Test
  void multiLinePayloadSurvivesAParser() {
    // Given a payload with every kind of line break
    String payload = "line1\nline2\r\nline3\rline4";
    List<SseEvent> events = new ArrayList<>();
    SseParser parser = new SseParser(events::add);

    // When it is framed and parsed back
    parser.feed(SseFrames.data(payload));

    // Then the client sees the lines joined with \n
    assertThat(events).containsExactly(new SseEvent("message", "line1\nline2\nline3\nline4"));
  }

  @Test
  void commentMustBeOneLine() {
    assertThatThrownBy(() -> SseFrames.comment("a\nb")).isInstanceOf(IllegalArgumentException.class);
  }
}
