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
 * {@link GuardReply#generatedText}, which reads a reply of the usual shape with Jackson's
 * streaming parser, against the Vert.x tree reading it falls back to ({@link GuardReply#viaTree},
 * what {@code HttpGuard} did for every reply before): for replies of the usual shape and for
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

  // ------------------------------------------------------------------ generated replies

  private static String reply(Random r, boolean chat) {
    if (r.nextInt(12) == 0) {
      return junk(r);
    }
    List<String> members = new ArrayList<>();
    if (r.nextBoolean()) {
      members.add(member("id", Json.encode("cmpl-" + r.nextInt(100))));
    }
    int choicesTimes = r.nextInt(10) == 0 ? 2 : r.nextInt(12) == 0 ? 0 : 1;
    for (int i = 0; i < choicesTimes; i++) {
      members.add(member("choices", choices(r, chat)));
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

  private static Object outcome(java.util.function.Supplier<String> read) {
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
