package dev.thinkgate.guard;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.Json;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;

/**
 * {@link GuardReply#generatedText} and {@link GuardReply#generatedTexts} (a batch's reply), which
 * read a reply of the usual shape with Jackson's streaming parser, against the Vert.x tree reading
 * they fall back to ({@link GuardReply#viaTree}, {@link GuardReply#textsViaTree}): for replies of
 * the usual shape and for
 * every way a reply can stray from it (a member given twice, unexpected types, empty or missing
 * choices, {@code finish_reason: length}, extra members at every level, comments, trailing bytes,
 * truncation) both answer the same text or fail alike.
 */
class GuardReplyProperties {
  private static final String[] TEXTS = {"safe", "\n\nsafe", "unsafe\nS1,S10", "\n\nunsafe\nS9",
      "", "é 思 🙂", "\"q\" \\ /\t\u0001", "safe\n"};

  @Property(tries = 3000)
  void streamedAndTreeReadingsAgree(@ForAll long seed, @ForAll boolean chat) {
    Random r = new Random(seed);
    String reply = reply(r, chat);
    assertThat(outcome(() -> GuardReply.generatedText(buffer(reply), chat, "g")))
        .as(reply).isEqualTo(outcome(() -> GuardReply.viaTree(buffer(reply), chat, "g")));
  }

  @Example
  void vllmsUsualRepliesAreReadWithoutATree() {
    // vLLM's completion and chat completion bodies (vllm/entrypoints/openai/protocol.py
    // CompletionResponse, ChatCompletionResponse), as a guard call gets them
    String completion = "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,"
        + "\"model\":\"meta-llama/Llama-Guard-3-8B\",\"choices\":[{\"index\":0,\"text\":\"\\n\\nsafe\","
        + "\"logprobs\":null,\"finish_reason\":\"stop\",\"stop_reason\":null,"
        + "\"prompt_logprobs\":null}],\"usage\":{\"prompt_tokens\":200,\"total_tokens\":203,"
        + "\"completion_tokens\":3,\"prompt_tokens_details\":null},\"kv_transfer_params\":null}";
    String chatReply = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1,"
        + "\"model\":\"g\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
        + "\"reasoning_content\":null,\"content\":\"unsafe\\nS1\",\"tool_calls\":[]},"
        + "\"logprobs\":null,\"finish_reason\":\"stop\",\"stop_reason\":null}],"
        + "\"usage\":{\"prompt_tokens\":9,\"total_tokens\":12,\"completion_tokens\":3}}";
    assertThat(GuardReply.readsStreamed(bytes(completion), false)).isTrue();
    assertThat(GuardReply.generatedText(buffer(completion), false, "g")).isEqualTo("\n\nsafe");
    assertThat(GuardReply.readsStreamed(bytes(chatReply), true)).isTrue();
    assertThat(GuardReply.generatedText(buffer(chatReply), true, "g")).isEqualTo("unsafe\nS1");
  }

  @Example
  void aCutVerdictIsLeftToTheTreeWhichRefusesIt() {
    String cut = "{\"choices\":[{\"text\":\"unsafe\\nS1,S2,S\",\"finish_reason\":\"length\"}]}";
    assertThat(GuardReply.readsStreamed(bytes(cut), false)).isFalse();
    assertThat(outcome(() -> GuardReply.generatedText(buffer(cut), false, "g")))
        .isEqualTo("GuardException UNPARSABLE guard g verdict was cut at max_tokens (finish_reason length)");
  }

  @Property(tries = 3000)
  void streamedAndTreeReadingsOfABatchAgree(@ForAll long seed,
      @ForAll @net.jqwik.api.constraints.IntRange(min = 1, max = 4) int n) {
    Random r = new Random(seed);
    String reply = batchReply(r, n);
    net.jqwik.api.statistics.Statistics.label("read without a tree")
        .collect(GuardReply.readsBatchStreamed(bytes(reply), n));
    assertThat(outcome(() -> GuardReply.generatedTexts(buffer(reply), n, "g")))
        .as(reply).isEqualTo(outcome(() -> GuardReply.textsViaTree(buffer(reply), n, "g")));
  }

  @Example
  void vllmsBatchReplyIsReadWithoutATree() {
    // vLLM's answer to a list of two prompts: one choice a prompt, index = len(choices)
    // (vllm/entrypoints/openai/serving_completion.py, request_output_to_completion_response)
    String batch = "{\"id\":\"cmpl-1\",\"object\":\"text_completion\",\"created\":1,"
        + "\"model\":\"meta-llama/Llama-Guard-3-8B\",\"choices\":[{\"index\":0,\"text\":"
        + "\"\\n\\nsafe\",\"logprobs\":null,\"finish_reason\":\"stop\",\"stop_reason\":null,"
        + "\"prompt_logprobs\":null},{\"index\":1,\"text\":\"\\n\\nunsafe\\nS9\",\"logprobs\":null,"
        + "\"finish_reason\":\"stop\",\"stop_reason\":null,\"prompt_logprobs\":null}],"
        + "\"usage\":{\"prompt_tokens\":400,\"total_tokens\":407,\"completion_tokens\":7}}";
    assertThat(GuardReply.readsBatchStreamed(bytes(batch), 2)).isTrue();
    assertThat(GuardReply.generatedTexts(buffer(batch), 2, "g"))
        .containsExactly("\n\nsafe", "\n\nunsafe\nS9");
    // another count is the tree's to decide: null, the server did not take the list
    assertThat(GuardReply.readsBatchStreamed(bytes(batch), 3)).isFalse();
    assertThat(GuardReply.generatedTexts(buffer(batch), 3, "g")).isNull();
  }

  // ------------------------------------------------------------------ generated replies

  private static String batchReply(Random r, int n) {
    return reply(r, () -> batchChoices(r, n));
  }

  private static String batchChoices(Random r, int n) {
    switch (r.nextInt(16)) {
      case 0 -> {
        return "[]";
      }
      case 1 -> {
        return "null";
      }
      case 2 -> {
        return "{\"text\":\"safe\"}";
      }
      default -> {
        int count = r.nextInt(5) == 0 ? r.nextInt(6) : n;
        List<String> items = new ArrayList<>();
        for (int i = 0; i < count; i++) {
          items.add(r.nextInt(20) == 0 ? (r.nextBoolean() ? "null" : "[1]") : batchChoice(r, i));
        }
        return "[" + String.join(",", items) + "]";
      }
    }
  }

  private static String batchChoice(Random r, int i) {
    if (r.nextInt(10) < 8) { // most choices as servers write them, members in any order
      List<String> members = new ArrayList<>(List.of(member("index", Integer.toString(i)),
          member("text", Json.encode(TEXTS[r.nextInt(TEXTS.length)]))));
      if (r.nextInt(4) > 0) {
        members.add(member("finish_reason", r.nextBoolean() ? "\"stop\"" : "null"));
      }
      if (r.nextBoolean()) {
        members.add(member("logprobs", "null"));
      }
      java.util.Collections.shuffle(members, r);
      return object(r, members);
    }
    List<String> members = new ArrayList<>();
    int indexTimes = r.nextInt(10) == 0 ? 2 : r.nextInt(10) == 0 ? 0 : 1;
    for (int k = 0; k < indexTimes; k++) {
      members.add(member("index", switch (r.nextInt(12)) {
        case 0 -> Integer.toString(i + 1);
        case 1 -> i + ".0";
        case 2 -> "\"" + i + "\"";
        case 3 -> "99999999999999999999";
        case 4 -> "null";
        default -> Integer.toString(i);
      }));
    }
    int textTimes = r.nextInt(10) == 0 ? 2 : r.nextInt(10) == 0 ? 0 : 1;
    for (int k = 0; k < textTimes; k++) {
      members.add(member("text", value(r)));
    }
    return finishedChoice(r, members);
  }

  private static String reply(Random r, boolean chat) {
    return reply(r, () -> choices(r, chat));
  }

  /** A reply around {@code choices}, or junk; straying at the top level now and then. */
  private static String reply(Random r, java.util.function.Supplier<String> choices) {
    if (r.nextInt(12) == 0) {
      return junk(r);
    }
    List<String> members = new ArrayList<>();
    if (r.nextBoolean()) {
      members.add(member("id", Json.encode("cmpl-" + r.nextInt(100))));
    }
    int choicesTimes = r.nextInt(10) == 0 ? 2 : r.nextInt(12) == 0 ? 0 : 1;
    for (int i = 0; i < choicesTimes; i++) {
      members.add(member("choices", choices.get()));
    }
    if (r.nextBoolean()) {
      members.add(member("usage", "{\"prompt_tokens\":" + r.nextInt(999) + ",\"x\":[1,{\"y\":null}]}"));
    }
    java.util.Collections.shuffle(members, r);
    String json = object(r, members);
    switch (r.nextInt(14)) {
      case 0 -> json = json + " x";                                  // trailing bytes
      case 1 -> json = json.substring(0, r.nextInt(json.length()));  // truncated
      case 2 -> json = " \n" + json + "\n ";                          // whitespace around
      case 3 -> json = "/* c */" + json;                              // a comment
      default -> { }
    }
    return json;
  }

  private static String choices(Random r, boolean chat) {
    return switch (r.nextInt(16)) {
      case 0 -> "[]";
      case 1 -> "null";
      case 2 -> "{\"text\":\"safe\"}";
      case 3 -> "[\"safe\"]";
      case 4 -> "[null," + choice(r, chat) + "]";
      default -> {
        StringBuilder sb = new StringBuilder("[").append(choice(r, chat));
        for (int i = r.nextInt(3); i > 0; i--) {
          sb.append(',').append(r.nextBoolean() ? choice(r, chat) : "[1,2]");
        }
        yield sb.append(']').toString();
      }
    };
  }

  private static String choice(Random r, boolean chat) {
    List<String> members = new ArrayList<>();
    members.add(member("index", "0"));
    int textTimes = r.nextInt(10) == 0 ? 2 : r.nextInt(10) == 0 ? 0 : 1;
    for (int i = 0; i < textTimes; i++) {
      members.add(chat ? member("message", message(r)) : member("text", value(r)));
    }
    if (r.nextInt(4) == 0) {
      // the other API's member: ignored, whatever it holds
      members.add(chat ? member("text", value(r)) : member("message", message(r)));
    }
    return finishedChoice(r, members);
  }

  /**
   * A choice of {@code members} with a {@code finish_reason} given once, twice or not at all (null,
   * length, a number or stop) and maybe logprobs, in any order.
   */
  private static String finishedChoice(Random r, List<String> members) {
    int finishTimes = r.nextInt(10) == 0 ? 2 : r.nextInt(5) == 0 ? 0 : 1;
    for (int i = 0; i < finishTimes; i++) {
      members.add(member("finish_reason", switch (r.nextInt(6)) {
        case 0 -> "null";
        case 1 -> "\"length\"";
        case 2 -> "5";
        default -> "\"stop\"";
      }));
    }
    if (r.nextBoolean()) {
      members.add(member("logprobs", r.nextBoolean() ? "null" : "{\"tokens\":[\"a\"],\"n\":[1.5e3]}"));
    }
    java.util.Collections.shuffle(members, r);
    return object(r, members);
  }

  private static String message(Random r) {
    if (r.nextInt(8) == 0) {
      return r.nextBoolean() ? "null" : "\"safe\"";
    }
    List<String> members = new ArrayList<>();
    members.add(member("role", "\"assistant\""));
    int times = r.nextInt(10) == 0 ? 2 : r.nextInt(10) == 0 ? 0 : 1;
    for (int i = 0; i < times; i++) {
      members.add(member("content", value(r)));
    }
    if (r.nextBoolean()) {
      members.add(member("tool_calls", "[]"));
    }
    java.util.Collections.shuffle(members, r);
    return object(r, members);
  }

  /** Mostly a string; sometimes null, a number, an object or an array. */
  private static String value(Random r) {
    return switch (r.nextInt(10)) {
      case 0 -> "null";
      case 1 -> "12";
      case 2 -> "{\"t\":\"safe\"}";
      case 3 -> "[\"safe\"]";
      case 4 -> "true";
      default -> Json.encode(TEXTS[r.nextInt(TEXTS.length)]);
    };
  }

  private static String junk(Random r) {
    String[] junk = {"", "null", "[]", "[{\"choices\":[]}]", "\"safe\"", "{", "{}", "12",
        "{\"choices\":[{\"text\":\"safe\"}]}{}", "\u00ff\u00fe"};
    return junk[r.nextInt(junk.length)];
  }

  private static String member(String name, String value) {
    return Json.encode(name) + ":" + value;
  }

  private static String object(Random r, List<String> members) {
    String sep = r.nextInt(4) == 0 ? " , " : ",";
    return "{" + String.join(sep, members) + "}";
  }

  // ------------------------------------------------------------------ outcomes

  private static Object outcome(java.util.function.Supplier<?> read) {
    try {
      return java.util.Objects.requireNonNullElse(read.get(), "<null>");
    } catch (GuardException e) {
      return "GuardException " + e.kind() + " " + e.getMessage();
    } catch (ClassCastException e) {
      return "ClassCastException";
    }
  }

  private static Buffer buffer(String s) {
    return Buffer.buffer(bytes(s));
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
