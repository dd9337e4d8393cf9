package dev.thinkgate.emulator;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;

/**
 * One decoded generation rendered in vLLM's wire shapes: stream chunks or a whole response, for
 * the chat or the completions endpoint.
 *
 * @param chat true for {@code /v1/chat/completions}, false for {@code /v1/completions}
 * @param parseReasoning true when the emulated server runs a DeepSeek-R1-style reasoning parser:
 *     generated text is reasoning until {@code </think>} (so a prompt that closed the thought
 *     gets its whole answer reported as reasoning, as vLLM does)
 * @param nullReasoningOnContent true for the vLLM releases that send both fields: their content
 *     chunks carry {@code "reasoning_content": null} (and {@code "reasoning": null})
 */
record Generation(
    boolean chat, String id, long created, String model, Decoding decoding,
    EmulatedDialect dialect, boolean parseReasoning, int promptTokens, int tokensPerChunk,
    boolean nullReasoningOnContent) {

  Generation(
      boolean chat, String id, long created, String model, Decoding decoding,
      EmulatedDialect dialect, boolean parseReasoning, int promptTokens, int tokensPerChunk) {
    this(chat, id, created, model, decoding, dialect, parseReasoning, promptTokens, tokensPerChunk,
        false);
  }

  private static final String END_TAG = "</think>";

  int completionTokens() {
    return decoding.tokens().size();
  }

  JsonObject usage() {
    return VllmWire.usage(promptTokens, completionTokens());
  }

  /** The events of a streamed response, built lazily so a long stream never sits in memory. */
  Iterator<SseEvent> events(boolean includeUsage) {
    return new Iterator<>() {
      private final List<String> tokens = decoding.tokens();
      private final int chunks = Math.max(1, (tokens.size() + tokensPerChunk - 1) / tokensPerChunk);
      private final ReasoningSplitter splitter = new ReasoningSplitter(parseReasoning);
      private boolean roleSent = !chat;
      private int chunk;
      private boolean usageSent = !includeUsage;
      private boolean doneSent;
      private SseEvent next;

      @Override
      public boolean hasNext() {
        if (next == null) {
          next = advance();
        }
        return next != null;
      }

      @Override
      public SseEvent next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        SseEvent event = next;
        next = null;
        return event;
      }

      private SseEvent advance() {
        if (!roleSent) {
          roleSent = true;
          return new SseEvent(chunk(choice(
              new JsonObject().put("role", "assistant").put("content", ""), null)).encode(), 0);
        }
        while (chunk < chunks) {
          int from = Math.min(tokens.size(), chunk * tokensPerChunk);
          int to = Math.min(tokens.size(), from + tokensPerChunk);
          chunk++;
          boolean last = chunk == chunks;
          String text = String.join("", tokens.subList(from, to));
          JsonObject choice;
          if (chat) {
            JsonObject delta = delta(splitter.split(text));
            if (delta.isEmpty() && !last) {
              continue; // vLLM sends nothing for a delta that carries no text
            }
            choice = choice(delta, null);
          } else {
            choice = new JsonObject().put("index", 0).put("text", text).putNull("logprobs")
                .putNull("finish_reason").putNull("stop_reason");
          }
          if (last) {
            choice.put("finish_reason", decoding.finishReason())
                .put("stop_reason", decoding.stopReason());
          }
          return new SseEvent(chunk(choice).encode(), to - from);
        }
        if (!usageSent) {
          usageSent = true;
          return new SseEvent(
              header().put("choices", new JsonArray()).put("usage", usage()).encode(), 0);
        }
        if (!doneSent) {
          doneSent = true;
          return SseEvent.DONE;
        }
        return null;
      }
    };
  }

  /** The whole non-stream response body. */
  JsonObject response() {
    JsonObject body = new JsonObject()
        .put("id", id)
        .put("object", chat ? "chat.completion" : "text_completion")
        .put("created", created)
        .put("model", model);
    JsonObject choice = new JsonObject().put("index", 0);
    String text = decoding.text();
    if (chat) {
      ReasoningSplitter.Part part = new ReasoningSplitter(parseReasoning).split(text);
      JsonObject message = new JsonObject().put("role", "assistant");
      if (dialect.parsesReasoning()) {
        message.put("content", part.content().isEmpty() ? null : part.content());
        String reasoning = part.reasoning().isEmpty() ? null : part.reasoning();
        if (dialect != EmulatedDialect.REASONING) {
          message.put("reasoning_content", reasoning);
        }
        if (dialect != EmulatedDialect.REASONING_CONTENT) {
          message.put("reasoning", reasoning);
        }
      } else {
        message.put("content", text);
      }
      message.put("tool_calls", new JsonArray());
      choice.put("message", message);
    } else {
      choice.put("text", text);
    }
    choice.putNull("logprobs")
        .put("finish_reason", decoding.finishReason())
        .put("stop_reason", decoding.stopReason());
    if (!chat) {
      choice.putNull("prompt_logprobs");
    }
    return body.put("choices", new JsonArray().add(choice)).put("usage", usage());
  }

  private JsonObject header() {
    return new JsonObject()
        .put("id", id)
        .put("object", chat ? "chat.completion.chunk" : "text_completion")
        .put("created", created)
        .put("model", model);
  }

  private JsonObject chunk(JsonObject choice) {
    return header().put("choices", new JsonArray().add(choice));
  }

  private static JsonObject choice(JsonObject delta, String finishReason) {
    return new JsonObject().put("index", 0).put("delta", delta).putNull("logprobs")
        .put("finish_reason", finishReason);
  }

  private JsonObject delta(ReasoningSplitter.Part part) {
    JsonObject delta = new JsonObject();
    if (!part.reasoning().isEmpty()) {
      if (dialect != EmulatedDialect.REASONING) {
        delta.put("reasoning_content", part.reasoning());
      }
      if (dialect == EmulatedDialect.REASONING || dialect == EmulatedDialect.BOTH) {
        delta.put("reasoning", part.reasoning());
      }
    }
    if (!part.content().isEmpty()) {
      if (nullReasoningOnContent && part.reasoning().isEmpty()
          && dialect == EmulatedDialect.BOTH) {
        delta.putNull("reasoning_content").putNull("reasoning");
      }
      delta.put("content", part.content());
    }
    return delta;
  }

  /** DeepSeek-R1-style parser state: reasoning until the first {@code </think>}, then content. */
  static final class ReasoningSplitter {
    record Part(String reasoning, String content) {}

    private boolean inReasoning;

    ReasoningSplitter(boolean parseReasoning) {
      this.inReasoning = parseReasoning;
    }

    Part split(String text) {
      if (!inReasoning) {
        return new Part("", text);
      }
      int end = text.indexOf(END_TAG);
      if (end < 0) {
        return new Part(text, "");
      }
      inReasoning = false;
      return new Part(text.substring(0, end), text.substring(end + END_TAG.length()));
    }
  }

  static List<String> stops(Object stop) {
    List<String> stops = new ArrayList<>();
    if (stop instanceof String s) {
      stops.add(s);
    } else if (stop instanceof JsonArray array) {
      for (Object o : array) {
        if (!(o instanceof String s)) {
          throw new IllegalArgumentException("stop must be a string or a list of strings");
        }
        stops.add(s);
      }
    } else if (stop != null) {
      throw new IllegalArgumentException("stop must be a string or a list of strings");
    }
    return stops;
  }
}
