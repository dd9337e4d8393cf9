package dev.thinkgate.guard;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.thinkgate.guard.GuardException.Kind;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;

/**
 * The generated text of a guard's reply: {@code choices[0].text} ({@code /v1/completions}) or
 * {@code choices[0].message.content} ({@code /v1/chat/completions}).
 *
 * <p>A reply of the usual shape is read with Jackson's streaming parser, without building a tree
 * for the few hundred bytes around the verdict. Anything else (a key of interest given twice,
 * an unexpected type, no choices, a verdict cut at {@code max_tokens}, invalid JSON) is read
 * again as a Vert.x tree, whose reading decides the answer and the error; so both ways answer
 * alike for every reply ({@code GuardReplyProperties}). A batch's reply is read the same way.
 */
final class GuardReply {
  private static final JsonFactory JSON = new JsonFactory();
  /** The streaming read's answer when the tree must decide. Compared by identity. */
  private static final String UNSURE = new String("unsure");

  private GuardReply() {}

  /**
   * @param guard the guard's name, for error messages
   * @return the text, or null when the reply has none
   * @throws GuardException {@code UNPARSABLE} for a reply that is not a readable verdict
   * @throws ClassCastException when a member has an unexpected type (the caller reports it)
   */
  static String generatedText(Buffer reply, boolean chat, String guard) {
    String text = streamed(reply.getBytes(), chat);
    return text != UNSURE ? text : viaTree(reply, chat, guard);
  }

  /** The reading as a Vert.x tree, which decides every reply the streaming read is unsure of. */
  static String viaTree(Buffer reply, boolean chat, String guard) {
    JsonObject json = tree(reply, guard);
    JsonArray choices = json == null ? null : json.getJsonArray("choices");
    if (choices == null || choices.isEmpty() || !(choices.getValue(0) instanceof JsonObject)) {
      throw withoutChoices(guard);
    }
    JsonObject choice = choices.getJsonObject(0);
    checkNotCut(choice, guard);
    if (chat) {
      JsonObject message = choice.getJsonObject("message");
      return message == null ? null : message.getString("content");
    }
    return choice.getString("text");
  }

  /**
   * The texts of a completions reply to a batch of {@code n} prompts: {@code choices[i].text} in
   * prompt order. vLLM numbers the choices {@code index = len(choices)} as it appends them, one a
   * prompt (vllm/entrypoints/openai/serving_completion.py,
   * {@code request_output_to_completion_response}), and SGLang {@code index=idx} over its results
   * in prompt order (python/sglang/srt/entrypoints/openai/serving_completions.py,
   * {@code _build_completion_response}), so exactly {@code n} choices whose indexes run 0 to
   * {@code n - 1} are required, each with a string text not cut at {@code max_tokens}.
   *
   * @return null when the reply holds some other number of choices: the server did not take the
   *     list as a batch (one that joins the prompts into one would answer once)
   * @throws GuardException {@code UNPARSABLE} for anything else
   */
  static java.util.List<String> generatedTexts(Buffer reply, int n, String guard) {
    java.util.List<String> texts = streamedTexts(reply.getBytes(), n);
    return texts != UNSURE_TEXTS ? texts : textsViaTree(reply, n, guard);
  }

  /** {@link #generatedTexts} read as a Vert.x tree, which decides what the streaming read cannot. */
  static java.util.List<String> textsViaTree(Buffer reply, int n, String guard) {
    JsonObject json = tree(reply, guard);
    JsonArray choices = json == null || !(json.getValue("choices") instanceof JsonArray a) ? null : a;
    if (choices == null) {
      throw withoutChoices(guard);
    }
    if (choices.size() != n) {
      return null;
    }
    java.util.List<String> texts = new java.util.ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      if (!(choices.getValue(i) instanceof JsonObject choice)
          || !(choice.getValue("index") instanceof Number index) || index.longValue() != i
          || !(choice.getValue("text") instanceof String text)) {
        throw new GuardException(Kind.UNPARSABLE, "guard " + guard
            + " answered a batch with choice " + i + " out of order or without text");
      }
      checkNotCut(choice, guard);
      texts.add(text);
    }
    return texts;
  }

  /** The reply as a Vert.x tree (null for a JSON null). */
  private static JsonObject tree(Buffer reply, String guard) {
    try {
      return reply.toJsonObject();
    } catch (DecodeException | ClassCastException e) {
      throw new GuardException(Kind.UNPARSABLE, "guard " + guard + " answered with invalid JSON");
    }
  }

  private static GuardException withoutChoices(String guard) {
    return new GuardException(Kind.UNPARSABLE, "guard " + guard + " answered without choices");
  }

  /** A verdict cut by max_tokens may have lost categories: never read it as complete. */
  private static void checkNotCut(JsonObject choice, String guard) {
    if ("length".equals(choice.getValue("finish_reason"))) {
      throw new GuardException(Kind.UNPARSABLE, "guard " + guard
          + " verdict was cut at max_tokens (finish_reason length)");
    }
  }

  /** The streaming batch read's answer when the tree must decide. Compared by identity. */
  private static final java.util.List<String> UNSURE_TEXTS = java.util.List.of();

  /** Whether the streaming read answers the batch {@code reply} of {@code n} alone (for tests). */
  static boolean readsBatchStreamed(byte[] reply, int n) {
    return streamedTexts(reply, n) != UNSURE_TEXTS;
  }

  /**
   * The texts when the reply is one object whose single {@code choices} array holds exactly
   * {@code n} objects, the i-th with an integer {@code index} i, a string {@code text}, each once,
   * and a {@code finish_reason} other than {@code length}, at most once; else
   * {@link #UNSURE_TEXTS}.
   */
  private static java.util.List<String> streamedTexts(byte[] reply, int n) {
    return inChoices(reply, UNSURE_TEXTS, p -> {
      java.util.List<String> texts = new java.util.ArrayList<>(n);
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.START_OBJECT) {
        String text = batchChoice(p, texts.size());
        if (text == UNSURE) {
          return UNSURE_TEXTS;
        }
        texts.add(text);
      }
      // a member that is not an object, or another count
      return t == JsonToken.END_ARRAY && texts.size() == n ? texts : UNSURE_TEXTS;
    });
  }

  /** Reads a reply's {@code choices} array, the parser on its {@code START_ARRAY}. */
  @FunctionalInterface
  private interface ChoicesReader<T> {
    /** @return the answer, the parser left on the array's {@code END_ARRAY}; or unsure */
    T read(JsonParser p) throws IOException;
  }

  /**
   * {@code choices}' answer when the reply is one object (nothing after it) whose single
   * {@code choices} member is an array it reads; {@code unsure} otherwise, or when it was unsure.
   */
  private static <T> T inChoices(byte[] reply, T unsure, ChoicesReader<T> choices) {
    try (JsonParser p = JSON.createParser(reply)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return unsure;
      }
      T answer = unsure;
      boolean seen = false;
      JsonToken t;
      while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
        String name = p.currentName();
        JsonToken value = p.nextToken();
        if (!"choices".equals(name)) {
          p.skipChildren();
          continue;
        }
        if (seen || value != JsonToken.START_ARRAY) {
          return unsure; // choices twice (the last counts) or not an array
        }
        seen = true;
        answer = choices.read(p);
        if (answer == unsure) {
          return unsure;
        }
      }
      return t == JsonToken.END_OBJECT && p.nextToken() == null ? answer : unsure;
    } catch (IOException | RuntimeException e) {
      return unsure; // the tree reports it
    }
  }

  /** Whether a {@code finish_reason} value leaves the verdict whole: null, or not length. */
  private static boolean notCut(JsonToken value, JsonParser p) throws IOException {
    return value == JsonToken.VALUE_NULL
        || value == JsonToken.VALUE_STRING && !"length".equals(p.getText());
  }

  /** Choice {@code i}'s text, the parser on its {@code START_OBJECT}; left on its end. */
  private static String batchChoice(JsonParser p, int i) throws IOException {
    String text = UNSURE;
    boolean indexSeen = false;
    boolean finishSeen = false;
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      switch (name) {
        case "index" -> {
          if (indexSeen || value != JsonToken.VALUE_NUMBER_INT || p.getLongValue() != i) {
            return UNSURE;
          }
          indexSeen = true;
        }
        case "text" -> {
          if (text != UNSURE || value != JsonToken.VALUE_STRING) {
            return UNSURE;
          }
          text = p.getText();
        }
        case "finish_reason" -> {
          if (finishSeen || !notCut(value, p)) {
            return UNSURE;
          }
          finishSeen = true;
        }
        default -> p.skipChildren();
      }
    }
    return t == JsonToken.END_OBJECT && indexSeen ? text : UNSURE;
  }

  /** Whether the streaming read answers {@code reply} alone (for tests). */
  static boolean readsStreamed(byte[] reply, boolean chat) {
    return streamed(reply, chat) != UNSURE;
  }

  /**
   * The text when the reply is one object whose single {@code choices} array starts with an
   * object holding the text as a string, once, and a {@code finish_reason} other than
   * {@code length}, at most once; else {@link #UNSURE}.
   */
  private static String streamed(byte[] reply, boolean chat) {
    return inChoices(reply, UNSURE, p -> {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        return UNSURE; // empty, or no object first
      }
      String text = choice(p, chat);
      if (text == UNSURE) {
        return UNSURE;
      }
      JsonToken t;
      while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
        if (t == null) {
          return UNSURE;
        }
        p.skipChildren();
      }
      return text;
    });
  }

  /** Choice 0's text, the parser on its {@code START_OBJECT}; left on its {@code END_OBJECT}. */
  private static String choice(JsonParser p, boolean chat) throws IOException {
    String text = UNSURE;
    boolean finishSeen = false;
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken value = p.nextToken();
      if ("finish_reason".equals(name)) {
        if (finishSeen || !notCut(value, p)) {
          return UNSURE;
        }
        finishSeen = true;
      } else if (name.equals(chat ? "message" : "text")) {
        if (text != UNSURE) {
          return UNSURE;
        }
        text = chat ? content(p, value) : value == JsonToken.VALUE_STRING ? p.getText() : UNSURE;
        if (text == UNSURE) {
          return UNSURE;
        }
      } else {
        p.skipChildren();
      }
    }
    return t == JsonToken.END_OBJECT ? text : UNSURE;
  }

  /** A chat message's content when it is a string given once; the parser left on its end. */
  private static String content(JsonParser p, JsonToken value) throws IOException {
    if (value != JsonToken.START_OBJECT) {
      return UNSURE;
    }
    String content = UNSURE;
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      String name = p.currentName();
      JsonToken v = p.nextToken();
      if (!"content".equals(name)) {
        p.skipChildren();
      } else if (content != UNSURE || v != JsonToken.VALUE_STRING) {
        return UNSURE;
      } else {
        content = p.getText();
      }
    }
    return t == JsonToken.END_OBJECT ? content : UNSURE;
  }
}
