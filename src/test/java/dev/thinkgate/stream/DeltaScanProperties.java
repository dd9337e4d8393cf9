package dev.thinkgate.stream;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/**
 * {@link DeltaScan} (its ASCII fast reader, and Jackson's streaming parser where that one is not
 * sure) against the tree the gateway's parsed path builds (Vert.x {@link JsonObject}, Jackson
 * underneath) on the same bytes: for every chunk of the plain shape it reads the same
 * choice-0 texts and finish reason; for every other shape, and for bytes that are not one JSON
 * object, it says null (the caller then parses), and it never throws.
 */
class DeltaScanProperties {
  private static final String[] TEXTS = {"", "a", " the cat", "é 思考 🙂", "\"q\" \\ /", "\n\t\u0001",
      "<think>", "</think>x"};

  @Property(tries = 2000)
  void agreesWithTheParsedTree(@ForAll long seed) {
    Random r = new Random(seed);
    JsonObject chunk = randomChunk(r);
    byte[] bytes = spelled(r, chunk).getBytes(StandardCharsets.UTF_8);
    int pad = r.nextInt(4);
    byte[] framed = new byte[bytes.length + 2 * pad];
    System.arraycopy(bytes, 0, framed, pad, bytes.length);
    assertThat(DeltaScan.scan(framed, pad, bytes.length)).isEqualTo(expected(chunk));
  }

  @Property(tries = 1000)
  void plainAsciiChunksNeedNoParser(@ForAll long seed) {
    Random r = new Random(seed);
    JsonObject delta = new JsonObject();
    if (r.nextBoolean()) {
      delta.put("reasoning_content", "step \"" + r.nextInt(100) + "\"\n\\ /");
    } else {
      delta.put("content", r.nextBoolean() ? "" : "answer " + r.nextInt());
    }
    JsonObject chunk = new JsonObject().put("id", "chatcmpl-" + r.nextInt(1000))
        .put("object", "chat.completion.chunk").put("created", 1_700_000_000L + r.nextInt(99))
        .put("model", "deepseek-ai/DeepSeek-R1").put("choices", new JsonArray().add(new JsonObject()
            .put("index", 0).put("delta", delta).put("logprobs", null)
            .put("finish_reason", r.nextInt(5) == 0 ? "stop" : null)))
        .put("usage", r.nextBoolean() ? null : new JsonObject().put("prompt_tokens", 7)
            .put("total_tokens", 9.5e2));
    byte[] bytes = spelled(r, chunk).getBytes(StandardCharsets.UTF_8);
    assertThat(DeltaScan.readsFast(bytes, 0, bytes.length)).isTrue();
    assertThat(DeltaScan.scan(bytes, 0, bytes.length)).isEqualTo(expected(chunk));
  }

  @Property(tries = 2000)
  void brokenBytesGiveNullOrWhatTheTreeSays(@ForAll long seed) {
    Random r = new Random(seed);
    byte[] bytes = randomChunk(r).encode().getBytes(StandardCharsets.UTF_8);
    int cuts = 1 + r.nextInt(3);
    for (int i = 0; i < cuts; i++) {
      int at = r.nextInt(bytes.length);
      switch (r.nextInt(3)) {
        case 0 -> bytes = java.util.Arrays.copyOf(bytes, at); // truncated
        case 1 -> bytes[at] = (byte) r.nextInt(256); // a byte changed
        default -> {
          byte[] longer = new byte[bytes.length + 1];
          System.arraycopy(bytes, 0, longer, 0, at);
          longer[at] = "{}[],:\" 0".getBytes(StandardCharsets.UTF_8)[r.nextInt(9)];
          System.arraycopy(bytes, at, longer, at + 1, bytes.length - at);
          bytes = longer;
        }
      }
      if (bytes.length == 0) {
        return;
      }
    }
    DeltaScan.Delta scanned = DeltaScan.scan(bytes, 0, bytes.length);
    if (scanned != null) {
      JsonObject tree = new JsonObject(new String(bytes, StandardCharsets.UTF_8));
      assertThat(scanned).isEqualTo(expected(tree));
    }
  }

  @Test
  void readsAVllmChunkAsItIsSpelled() {
    String vllm = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
        + "\"model\":\"r1\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_content\":\"caf\\u00e9"
        + " \\\"x\\\"\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}";
    byte[] b = vllm.getBytes(StandardCharsets.UTF_8);
    assertThat(DeltaScan.scan(b, 0, b.length))
        .isEqualTo(new DeltaScan.Delta("café \"x\"", null, null));
    assertThat(DeltaScan.readsFast(b, 0, b.length)).as("an ASCII vLLM chunk: no parser").isTrue();
    byte[] two = "{\"choices\":[{\"delta\":{}},{\"delta\":{}}]}".getBytes(StandardCharsets.UTF_8);
    assertThat(DeltaScan.scan(two, 0, two.length)).as("two choices").isNull();
    byte[] after = "{\"choices\":[{\"delta\":{}}]} {}".getBytes(StandardCharsets.UTF_8);
    assertThat(DeltaScan.scan(after, 0, after.length)).as("bytes after the object").isNull();
  }

  /**
   * A stream's memo against scanning each event alone: the same answer for every event of a
   * stream whose chunks mostly repeat their bytes around the text (as vLLM's do) and sometimes do
   * not (another id, spacing, key, finish reason or usage, a text with escapes or non-ASCII, a
   * chunk of another shape, broken bytes).
   */
  @Property(tries = 1500)
  void aStreamsMemoAnswersAsScanningEachEventAlone(@ForAll long seed) {
    Random r = new Random(seed);
    DeltaScan.Memo memo = new DeltaScan.Memo();
    String id = "chatcmpl-" + r.nextInt(1000);
    String key = "reasoning_content";
    boolean pretty = r.nextInt(4) == 0;
    int events = 1 + r.nextInt(30);
    for (int e = 0; e < events; e++) {
      if (r.nextInt(8) == 0) {
        key = key.equals("content") ? "reasoning_content" : "content";
      }
      if (r.nextInt(15) == 0) {
        id = "chatcmpl-" + r.nextInt(1000);
      }
      JsonObject chunk;
      if (r.nextInt(12) == 0) {
        chunk = randomChunk(r);
      } else {
        JsonObject delta = new JsonObject().put(key, r.nextInt(3) == 0
            ? TEXTS[r.nextInt(TEXTS.length)] : "tok" + r.nextInt(50) + (r.nextBoolean() ? " " : ""));
        if (r.nextInt(10) == 0) {
          delta.put(key.equals("content") ? "reasoning_content" : "content",
              r.nextBoolean() ? null : "other");
        }
        chunk = new JsonObject().put("id", id).put("object", "chat.completion.chunk")
            .put("created", 1_700_000_000L).put("model", "r1").put("choices", new JsonArray()
                .add(new JsonObject().put("index", 0).put("delta", delta).put("logprobs", null)
                    .put("finish_reason", r.nextInt(10) == 0 ? "stop" : null)));
        if (r.nextInt(10) == 0) {
          chunk.put("usage", null);
        }
      }
      String json = pretty || r.nextInt(20) == 0 ? spelled(r, chunk) : chunk.encode();
      byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
      if (r.nextInt(20) == 0) {
        bytes[r.nextInt(bytes.length)] = (byte) r.nextInt(256);
      }
      int pad = r.nextInt(3);
      byte[] framed = new byte[bytes.length + 2 * pad];
      System.arraycopy(bytes, 0, framed, pad, bytes.length);
      assertThat(memo.scan(framed, pad, bytes.length))
          .as("event %d: %s", e, json)
          .isEqualTo(DeltaScan.scan(framed, pad, bytes.length));
    }
  }

  @Test
  void aVllmStreamIsReadMostlyFromTheBytesThatChanged() {
    DeltaScan.Memo memo = new DeltaScan.Memo();
    String head = "{\"id\":\"chatcmpl-7\",\"object\":\"chat.completion.chunk\",\"created\":1,"
        + "\"model\":\"r1\",\"choices\":[{\"index\":0,\"delta\":{";
    String tail = "\"},\"logprobs\":null,\"finish_reason\":null}]}";
    List<String> events = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      events.add(head + "\"reasoning_content\":\"step " + i + tail);
    }
    events.add(head + "\"content\":\"The" + tail);
    events.add(head + "\"content\":\" \\\"quoted\\\"" + tail); // an escape: read in full
    events.add(head + "\"content\":\" answer" + tail);
    events.add(head + "\"content\":\" caf\u00e9" + tail); // over 0x7F: read in full
    events.add(head + "\"content\":\"\"},\"logprobs\":null,\"finish_reason\":\"stop\"}]}");
    List<DeltaScan.Delta> read = new ArrayList<>();
    for (String e : events) {
      byte[] b = e.getBytes(StandardCharsets.UTF_8);
      read.add(memo.scan(b, 0, b.length));
    }
    assertThat(read).containsExactly(
        new DeltaScan.Delta("step 0", null, null), new DeltaScan.Delta("step 1", null, null),
        new DeltaScan.Delta("step 2", null, null), new DeltaScan.Delta("step 3", null, null),
        new DeltaScan.Delta("step 4", null, null), new DeltaScan.Delta(null, "The", null),
        new DeltaScan.Delta(null, " \"quoted\"", null), new DeltaScan.Delta(null, " answer", null),
        new DeltaScan.Delta(null, " café", null), new DeltaScan.Delta(null, "", "stop"));
    // step 1-4 from the bytes that changed; the rest read in full (" answer" follows a text with
    // an escape, which leaves no shape to reuse)
    assertThat(memo.reused()).isEqualTo(4);
  }

  /** What the scan must say, from the tree: the plain shape's texts, else null. */
  private static DeltaScan.Delta expected(JsonObject chunk) {
    if (!(chunk.getValue("choices") instanceof JsonArray choices) || choices.size() != 1
        || !(choices.getValue(0) instanceof JsonObject choice)) {
      return null;
    }
    if (choice.containsKey("index") && !(choice.getValue("index") instanceof Number n
        && (n instanceof Integer || n instanceof Long || n instanceof java.math.BigInteger)
        && n.longValue() == 0)) {
      return null;
    }
    Object finish = choice.getValue("finish_reason");
    if (finish != null && !(finish instanceof String)) {
      return null;
    }
    String reasoning = null;
    String content = null;
    if (choice.containsKey("delta")) {
      if (!(choice.getValue("delta") instanceof JsonObject delta)) {
        return null;
      }
      Object rc = delta.getValue("reasoning_content");
      Object c = delta.getValue("content");
      if (rc != null && !(rc instanceof String) || c != null && !(c instanceof String)) {
        return null;
      }
      reasoning = (String) rc;
      content = (String) c;
    }
    return new DeltaScan.Delta(reasoning, content, (String) finish);
  }

  private static JsonObject randomChunk(Random r) {
    JsonObject chunk = new JsonObject();
    List<Runnable> fields = new ArrayList<>();
    fields.add(() -> chunk.put("id", "chatcmpl-" + r.nextInt(1000)));
    fields.add(() -> chunk.put("object", "chat.completion.chunk"));
    fields.add(() -> chunk.put("created", 1_700_000_000L + r.nextInt(100)));
    fields.add(() -> chunk.put("usage", r.nextBoolean() ? null
        : new JsonObject().put("prompt_tokens", 3).put("completion_tokens", 5)));
    if (r.nextInt(10) > 0) {
      fields.add(() -> chunk.put("choices", r.nextInt(12) == 0 ? (Object) "none" : choices(r)));
    }
    Collections.shuffle(fields, r);
    fields.forEach(Runnable::run);
    return chunk;
  }

  private static JsonArray choices(Random r) {
    JsonArray choices = new JsonArray();
    int n = r.nextInt(10) == 0 ? r.nextInt(3) * 2 : 1; // mostly one; sometimes none or two/four
    for (int i = 0; i < n; i++) {
      JsonObject choice = new JsonObject();
      List<Runnable> fields = new ArrayList<>();
      if (r.nextInt(8) > 0) {
        fields.add(() -> choice.put("index", switch (r.nextInt(12)) {
          case 0 -> 1;
          case 1 -> 0.0;
          case 2 -> "0";
          default -> 0;
        }));
      }
      if (r.nextInt(8) > 0) {
        fields.add(() -> choice.put("delta", r.nextInt(15) == 0 ? null : delta(r)));
      }
      fields.add(() -> choice.put("finish_reason", switch (r.nextInt(8)) {
        case 0 -> "stop";
        case 1 -> "length";
        case 2 -> 7;
        default -> null;
      }));
      fields.add(() -> choice.put("logprobs", r.nextBoolean() ? null
          : new JsonObject().put("content", new JsonArray().add(new JsonObject().put("token", "x")))));
      Collections.shuffle(fields, r);
      fields.forEach(Runnable::run);
      choices.add(choice);
    }
    return choices;
  }

  private static JsonObject delta(Random r) {
    JsonObject delta = new JsonObject();
    List<Runnable> fields = new ArrayList<>();
    if (r.nextInt(4) == 0) {
      fields.add(() -> delta.put("role", "assistant"));
    }
    if (r.nextBoolean()) {
      fields.add(() -> delta.put("reasoning_content", value(r)));
    }
    if (r.nextBoolean()) {
      fields.add(() -> delta.put("content", value(r)));
    }
    if (r.nextInt(6) == 0) {
      fields.add(() -> delta.put("tool_calls", new JsonArray().add(new JsonObject()
          .put("content", "not the text").put("reasoning_content", 5))));
    }
    Collections.shuffle(fields, r);
    fields.forEach(Runnable::run);
    return delta;
  }

  private static Object value(Random r) {
    return switch (r.nextInt(14)) {
      case 0 -> null;
      case 1 -> 42;
      case 2 -> new JsonArray().add("x");
      case 3 -> new JsonObject().put("content", "inner");
      default -> TEXTS[r.nextInt(TEXTS.length)];
    };
  }

  /** The chunk as JSON, sometimes with spaces where an upstream may put them. */
  private static String spelled(Random r, JsonObject chunk) {
    String json = r.nextBoolean() ? chunk.encode() : chunk.encodePrettily();
    return r.nextInt(4) == 0 ? " " + json + "\n" : json;
  }
}
