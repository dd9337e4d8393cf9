package dev.thinkgate.emulator;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An in-process stand-in for vLLM serving Llama Guard 3/4 (or Qwen3Guard-Gen), judging by
 * {@link GuardLexicon} phrases. {@code POST /v1/completions} takes the raw Llama Guard prompt: its
 * categories block limits what can be reported, and the last turn of the role named in the task
 * line is judged. {@code POST /v1/chat/completions} judges the last message against all
 * categories. Latency, errors, garbage and stalls are drawn from a seeded generator; options can
 * be swapped at runtime (tests flip the guard slow or down mid-run).
 *
 * <p>Thread-safe.
 */
public final class EmulatedGuardServer {
  private static final List<String> ALL_CATEGORIES = List.of(
      "S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "S11", "S12", "S13", "S14");
  private static final List<String> GARBAGE = List.of(
      "\n\nThe conversation needs more context.", "\n\nS1", "\n\nI am not sure.");
  private static final List<String> REFUSAL_OPENERS =
      List.of("i can't", "i cannot", "i'm sorry", "i won't", "i will not");
  private static final String DEFAULT_MODEL = "meta-llama/Llama-Guard-3-8B";

  private final Vertx vertx;
  private final AtomicReference<GuardEmulatorOptions> options;
  private final RecordedRequests requests = new RecordedRequests();
  private final AtomicInteger stalled = new AtomicInteger();
  private final long created = VllmWire.nowSeconds();
  private SplittableRandom random;
  private long randomSeed;
  private HttpServer server;

  public EmulatedGuardServer(Vertx vertx, GuardEmulatorOptions options) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.options = new AtomicReference<>(Objects.requireNonNull(options, "options"));
    this.randomSeed = options.seed();
    this.random = new SplittableRandom(randomSeed);
  }

  public Future<Integer> start(String host, int port) {
    if (server != null) {
      return Future.failedFuture(new IllegalStateException("already started"));
    }
    server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
        .requestHandler(this::handle);
    return server.listen().map(HttpServer::actualPort);
  }

  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  public GuardEmulatorOptions options() {
    return options.get();
  }

  /** Replaces the options; applies to requests that arrive afterwards. */
  public void options(GuardEmulatorOptions replacement) {
    options.set(Objects.requireNonNull(replacement, "replacement"));
  }

  public List<JsonObject> requests() {
    return requests.snapshot();
  }

  public int requestCount() {
    return requests.count();
  }

  /**
   * Prompts (or conversations) judged so far: a request whose {@code prompt} is a list counts one
   * a prompt.
   */
  public int promptCount() {
    return requests.snapshot().stream()
        .mapToInt(r -> r.getValue("prompt") instanceof JsonArray list ? list.size() : 1).sum();
  }

  public void clearRequests() {
    requests.clear();
  }

  /** Requests left unanswered by the stall fault so far. */
  public int stalledRequests() {
    return stalled.get();
  }

  private void handle(HttpServerRequest request) {
    HttpServerResponse response = request.response();
    String path = request.path();
    if (request.method() == HttpMethod.GET && path.equals("/health")) {
      response.setStatusCode(200).end();
    } else if (request.method() == HttpMethod.GET && path.equals("/v1/models")) {
      VllmWire.sendJson(response, VllmWire.models(DEFAULT_MODEL, created, 131072));
    } else if (request.method() == HttpMethod.POST
        && (path.equals("/v1/completions") || path.equals("/v1/chat/completions"))) {
      boolean chat = path.equals("/v1/chat/completions");
      request.body().onSuccess(buffer -> {
        JsonObject body;
        try {
          body = buffer.toJsonObject();
        } catch (DecodeException | ClassCastException e) {
          VllmWire.sendBadRequest(response, "Invalid JSON body: " + e.getMessage());
          return;
        }
        requests.add(body);
        judge(response, body, chat);
      });
    } else {
      VllmWire.sendError(response, 404, "NotFoundError", "Not Found");
    }
  }

  /** What to judge, read from a request. */
  private record Judgement(String text, List<String> enabled, boolean response, int promptTokens) {}

  private void judge(HttpServerResponse response, JsonObject body, boolean chat) {
    List<Judgement> judgements;
    try {
      judgements = chat ? List.of(fromMessages(body)) : fromPrompts(body);
    } catch (IllegalArgumentException e) {
      VllmWire.sendBadRequest(response, e.getMessage());
      return;
    }
    if (Boolean.TRUE.equals(body.getValue("stream"))) {
      VllmWire.sendBadRequest(response, "the emulated guard answers non-stream requests only");
      return;
    }
    GuardEmulatorOptions current = options.get();
    Draw draw = draw(current);
    String model = body.getValue("model") instanceof String s ? s : DEFAULT_MODEL;
    if (draw.outcome() == Outcome.STALL) {
      stalled.incrementAndGet();
      return; // the connection stays open until the client gives up or the server closes
    }
    Runnable answer = () -> {
      if (draw.outcome() == Outcome.ERROR) {
        VllmWire.sendError(response, 500, "InternalServerError",
            "EngineCore encountered an issue (emulated fault).");
        return;
      }
      Integer maxTokens = body.getValue("max_tokens") instanceof Number n ? n.intValue() : null;
      JsonArray choices = new JsonArray();
      int promptTokens = 0;
      int completionTokens = 0;
      for (Judgement judgement : judgements) {
        String output;
        if (draw.outcome() == Outcome.GARBAGE) {
          output = GARBAGE.get(draw.garbageIndex());
        } else {
          List<String> violated =
              current.lexicon().violatedCategories(judgement.text(), judgement.enabled());
          output = GuardFamily.forModel(model)
              .render(violated, judgement.response(), isRefusal(judgement.text()));
        }
        String cut = maxTokens == null ? output : firstTokens(output, maxTokens);
        choices.add(choice(chat, choices.size(), cut,
            cut.length() < output.length() ? "length" : "stop"));
        promptTokens += judgement.promptTokens();
        completionTokens += Decoding.countWords(cut) + 1;
      }
      VllmWire.sendJson(response, completion(chat, model, choices, promptTokens, completionTokens));
    };
    if (draw.delayMs() > 0) {
      vertx.setTimer(draw.delayMs(), id -> answer.run());
    } else {
      answer.run();
    }
  }

  private enum Outcome { ANSWER, ERROR, GARBAGE, STALL }

  private record Draw(Outcome outcome, long delayMs, int garbageIndex) {}

  private synchronized Draw draw(GuardEmulatorOptions current) {
    if (current.seed() != randomSeed) {
      randomSeed = current.seed();
      random = new SplittableRandom(randomSeed);
    }
    double r = random.nextDouble();
    long jitter = current.jitterMs() > 0 ? random.nextLong(current.jitterMs() + 1) : 0;
    int garbage = random.nextInt(GARBAGE.size());
    Outcome outcome;
    if (r < current.stallRate()) {
      outcome = Outcome.STALL;
    } else if (r < current.stallRate() + current.errorRate()) {
      outcome = Outcome.ERROR;
    } else if (r < current.stallRate() + current.errorRate() + current.garbageRate()) {
      outcome = Outcome.GARBAGE;
    } else {
      outcome = Outcome.ANSWER;
    }
    return new Draw(outcome, current.latencyMs() + jitter, garbage);
  }

  /**
   * The prompts of a completions request: one string, or a list of them judged together as vLLM
   * takes a batch (one choice each, in order; one prompt it cannot take fails the whole request,
   * vllm/entrypoints/openai/serving_completion.py {@code create_completion}).
   */
  private static List<Judgement> fromPrompts(JsonObject body) {
    Object value = body.getValue("prompt");
    if (value instanceof JsonArray array) {
      if (array.isEmpty()) {
        throw new IllegalArgumentException("prompt must not be an empty list");
      }
      List<Judgement> each = new ArrayList<>(array.size());
      for (Object prompt : array) {
        each.add(fromPrompt(prompt));
      }
      return each;
    }
    return List.of(fromPrompt(value));
  }

  private static Judgement fromPrompt(Object value) {
    if (!(value instanceof String prompt)) {
      throw new IllegalArgumentException("prompt must be a string or a list of strings"
          + " (token-id prompts are not emulated)");
    }
    LlamaGuardPrompt parsed = LlamaGuardPrompt.parse(prompt).orElseThrow(() ->
        new IllegalArgumentException(
            "the emulated guard expects a Llama Guard prompt (task line, categories block and"
                + " conversation block)"));
    String text = parsed.judgedTurn().map(LlamaGuardPrompt.Turn::text).orElse("");
    return new Judgement(text, parsed.categories().isEmpty() ? ALL_CATEGORIES : parsed.categories(),
        parsed.judgedRole().equals("Agent"), Decoding.countWords(prompt));
  }

  private static Judgement fromMessages(JsonObject body) {
    if (!(body.getValue("messages") instanceof JsonArray messages) || messages.isEmpty()) {
      throw new IllegalArgumentException("messages must be a non-empty list");
    }
    if (!(messages.getValue(messages.size() - 1) instanceof JsonObject last)) {
      throw new IllegalArgumentException("messages must hold objects");
    }
    Object content = last.getValue("content");
    String text;
    if (content instanceof String s) {
      text = s;
    } else if (content instanceof JsonArray parts) {
      StringBuilder joined = new StringBuilder();
      for (Object part : parts) {
        if (part instanceof JsonObject p && "text".equals(p.getString("type"))) {
          joined.append(p.getString("text", ""));
        }
      }
      text = joined.toString();
    } else {
      text = "";
    }
    int promptTokens = 0;
    for (Object m : messages) {
      if (m instanceof JsonObject message && message.getValue("content") instanceof String s) {
        promptTokens += Decoding.countWords(s) + 4;
      }
    }
    return new Judgement(text, ALL_CATEGORIES, "assistant".equals(last.getString("role")),
        promptTokens + 200);
  }

  private static boolean isRefusal(String text) {
    String start = text.strip().toLowerCase(Locale.ROOT);
    return REFUSAL_OPENERS.stream().anyMatch(start::startsWith);
  }

  /** A BPE-like token: a word or one punctuation mark with its leading space, or a line feed. */
  private static final java.util.regex.Pattern TOKEN =
      java.util.regex.Pattern.compile(" ?[A-Za-z]+| ?[0-9]| ?[^A-Za-z0-9\\s]|\\n| +");

  /**
   * The first {@code max} tokens of a verdict, as vLLM returns it when {@code max_tokens} cuts the
   * generation (finish_reason {@code length}).
   */
  static String firstTokens(String output, int max) {
    java.util.regex.Matcher m = TOKEN.matcher(output);
    int count = 0;
    int end = 0;
    while (m.find()) {
      if (count == max) {
        return output.substring(0, end);
      }
      count++;
      end = m.end();
    }
    return output;
  }

  private static JsonObject choice(boolean chat, int index, String output, String finishReason) {
    JsonObject choice = new JsonObject().put("index", index);
    if (chat) {
      choice.put("message", new JsonObject().put("role", "assistant").put("content", output)
          .put("tool_calls", new JsonArray()));
    } else {
      choice.put("text", output);
    }
    choice.putNull("logprobs").put("finish_reason", finishReason).putNull("stop_reason");
    if (!chat) {
      choice.putNull("prompt_logprobs");
    }
    return choice;
  }

  private JsonObject completion(boolean chat, String model, JsonArray choices, int promptTokens,
      int completionTokens) {
    return new JsonObject()
        .put("id", chat ? VllmWire.chatId() : VllmWire.completionId())
        .put("object", chat ? "chat.completion" : "text_completion")
        .put("created", VllmWire.nowSeconds())
        .put("model", model)
        .put("choices", choices)
        .put("usage", VllmWire.usage(promptTokens, completionTokens));
  }
}
