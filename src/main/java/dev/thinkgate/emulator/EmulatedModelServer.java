package dev.thinkgate.emulator;

import dev.thinkgate.reasoning.jinja.ChatTemplateException;
import dev.thinkgate.reasoning.jinja.JinjaChatTemplate;
import dev.thinkgate.reasoning.jinja.JinjaChatTemplates;
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
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * An in-process stand-in for vLLM's OpenAI server in front of a reasoning model (DeepSeek-R1
 * distill by default), speaking the real wire format over real HTTP: {@code POST
 * /v1/chat/completions}, {@code POST /v1/completions}, {@code GET /v1/models}, {@code GET
 * /health}. What the model says is chosen by {@link ResponseComposer} (or a test's
 * {@link ModelEmulatorOptions#scriptOverride()}); prefills, stop strings, {@code max_tokens} and
 * the reasoning dialect are applied as vLLM would. Streams are paced in decode steps shared by
 * every stream (as vLLM's batched decoding paces them), respect the client's backpressure, and
 * stop when the client goes away.
 *
 * <p>With a {@link ModelEmulatorOptions#serverProfile()} and {@link
 * ModelEmulatorOptions#template()} it imitates a real server in front of a real model: every
 * prompt is rendered with the model's published chat template the way that server does ({@link
 * PromptRendering}), vLLM's 400 bodies come back where vLLM refuses, vLLM serves {@code POST
 * /tokenize} and {@code POST /detokenize}, and the model's behaviour follows the rendered prompt
 * (recorded in {@link #prompts()}), not the request's fields.
 *
 * <p>Thread-safe: the request log and counters may be read from any thread.
 */
public final class EmulatedModelServer {
  private static final int MAX_MODEL_LEN = 32768;
  private static final int MAX_BODY_BYTES = 8 * 1024 * 1024;

  private final Vertx vertx;
  private final ModelEmulatorOptions options;
  private final ResponseComposer composer;
  private final LongSupplier nanoClock;
  private final RecordedRequests requests = new RecordedRequests();
  private final AtomicLong sequence = new AtomicLong();
  private final StreamStats stats = new StreamStats();
  private final long created = VllmWire.nowSeconds();
  private final DecodeSteps steps;
  private final JinjaChatTemplate template;
  private final EmulatedTokenizer tokenizer;
  private final PromptRendering rendering;
  private final List<String> prompts = new ArrayList<>();
  private HttpServer server;

  /** Loaded once: every emulated server shares the rendered templates. */
  private static final class Templates {
    static final JinjaChatTemplates SHIPPED = new JinjaChatTemplates();
  }

  public EmulatedModelServer(Vertx vertx, ModelEmulatorOptions options) {
    this(vertx, options,
        new ResponseComposer(PromptCatalog.loadDefault(), GuardLexicon.loadDefault()),
        System::nanoTime);
  }

  public EmulatedModelServer(
      Vertx vertx, ModelEmulatorOptions options, ResponseComposer composer,
      LongSupplier nanoClock) {
    this.vertx = Objects.requireNonNull(vertx, "vertx");
    this.options = Objects.requireNonNull(options, "options");
    this.composer = Objects.requireNonNull(composer, "composer");
    this.nanoClock = Objects.requireNonNull(nanoClock, "nanoClock");
    this.steps = options.tokensPerSecond() > 0 ? new DecodeSteps(vertx, options.tokensPerSecond())
        : null;
    this.template = options.template() == null ? null : Templates.SHIPPED.get(options.template());
    this.tokenizer = new EmulatedTokenizer(template);
    this.rendering = template == null ? null
        : new PromptRendering(options.serverProfile(), template, tokenizer);
  }

  /** Listens on {@code host:port} (0 = a free port); completes with the actual port. */
  public Future<Integer> start(String host, int port) {
    if (server != null) {
      return Future.failedFuture(new IllegalStateException("already started"));
    }
    server = vertx.createHttpServer(new HttpServerOptions().setHost(host).setPort(port))
        .requestHandler(this::handle);
    return server.listen().map(HttpServer::actualPort);
  }

  /** Stops listening and closes every open connection (stalled streams included). */
  public Future<Void> close() {
    return server == null ? Future.succeededFuture() : server.close();
  }

  public ModelEmulatorOptions options() {
    return options;
  }

  /** Every request body received so far, in arrival order (copies). */
  public List<JsonObject> requests() {
    return requests.snapshot();
  }

  public int requestCount() {
    return requests.count();
  }

  public void clearRequests() {
    requests.clear();
    synchronized (prompts) {
      prompts.clear();
    }
  }

  /**
   * The exact text the model saw for each generation request it accepted, in arrival order (BOS
   * included when the server added one); recorded only when a template is set.
   */
  public List<String> prompts() {
    synchronized (prompts) {
      return List.copyOf(prompts);
    }
  }

  /** Streams (and non-stream generations) ended early because the client went away. */
  public int cancelledStreams() {
    return stats.cancelled();
  }

  /** Streams and generations in progress (stalled ones included). */
  public int activeStreams() {
    return stats.active();
  }

  /** SSE events written over the server's life; stops growing while a reader is paused. */
  public long producedChunks() {
    return stats.eventsWritten();
  }

  /** Times a stream stopped producing because the client's write queue was full. */
  public int backpressurePauses() {
    return stats.backpressurePauses();
  }

  private void handle(HttpServerRequest request) {
    HttpServerResponse response = request.response();
    String path = request.path();
    if (request.method() == HttpMethod.GET && path.equals("/health")) {
      response.setStatusCode(200).end();
    } else if (request.method() == HttpMethod.GET && path.equals("/v1/models")) {
      VllmWire.sendJson(response, VllmWire.models(options.modelName(), created, MAX_MODEL_LEN));
    } else if (request.method() == HttpMethod.POST && path.equals("/v1/chat/completions")) {
      readJson(request, body -> generate(request, body, true));
    } else if (request.method() == HttpMethod.POST && path.equals("/v1/completions")) {
      readJson(request, body -> generate(request, body, false));
    } else if (request.method() == HttpMethod.POST && path.equals("/tokenize") && servesTokenize()) {
      readJson(request, body -> tokenize(request.response(), body));
    } else if (request.method() == HttpMethod.POST && path.equals("/detokenize")
        && servesTokenize()) {
      readJson(request, body -> detokenize(request.response(), body));
    } else {
      VllmWire.sendError(response, 404, "NotFoundError", "Not Found");
    }
  }

  private void readJson(HttpServerRequest request, java.util.function.Consumer<JsonObject> next) {
    request.body().onSuccess(buffer -> {
      if (buffer.length() > MAX_BODY_BYTES) {
        VllmWire.sendBadRequest(request.response(), "request body too large");
        return;
      }
      JsonObject body;
      try {
        body = buffer.toJsonObject();
      } catch (DecodeException | ClassCastException e) {
        VllmWire.sendBadRequest(request.response(), "Invalid JSON body: " + e.getMessage());
        return;
      }
      if (body == null) {
        VllmWire.sendBadRequest(request.response(), "Request body must be a JSON object");
        return;
      }
      requests.add(body);
      next.accept(body);
    });
  }

  private void generate(HttpServerRequest request, JsonObject body, boolean chat) {
    HttpServerResponse response = request.response();
    ParsedRequest parsed;
    try {
      parsed = chat ? parseChat(body) : parseCompletion(body);
    } catch (IllegalArgumentException e) {
      VllmWire.sendBadRequest(response, e.getMessage());
      return;
    }
    String model = body.getValue("model") instanceof String s ? s : options.modelName();
    if (!model.equals(options.modelName())) {
      VllmWire.sendError(response, 404, "NotFoundError",
          "The model `" + model + "` does not exist.");
      return;
    }
    if (rendering != null) {
      String prompt;
      try {
        prompt = chat ? rendering.chat(body) : rendering.completion(parsed.rawPrompt(), body);
      } catch (IllegalArgumentException e) {
        VllmWire.sendBadRequest(response, e.getMessage());
        return;
      } catch (ChatTemplateException e) {
        // serving_chat.py: create_error_response(f"{e} {e.__cause__}")
        VllmWire.sendBadRequest(response, e.getMessage() + " None");
        return;
      }
      synchronized (prompts) {
        prompts.add(prompt);
      }
      TemplatePrompt seen = TemplatePrompt.parse(prompt);
      parsed = parsed.seeing(seen.userText(), Prefill.of(seen.assistantText()),
          tokenizer.encode(prompt, false).size());
    }
    Script script = options.scriptOverride() == null ? null : options.scriptOverride().apply(body);
    PromptMarkers markers = PromptMarkers.parse(parsed.userText());
    if (script == null) {
      SamplingKey key = new SamplingKey(
          options.seed(), parsed.requestSeed(), parsed.greedy(), sequence.getAndIncrement());
      script = composer.compose(markers, parsed.prefill(), parsed.thinkingEnabled(), key);
    } else {
      script = script.withFaults(markers.faults());
    }
    boolean openTag = chat && options.reasoningDialect() == EmulatedDialect.THINK_TAGS
        || !chat && parsed.prefill().state() == Prefill.State.NONE;
    String raw = rawOutput(script, parsed.prefill(), parsed.thinkingEnabled(), openTag);
    Decoding decoding = Decoding.decode(
        raw, parsed.stops(), parsed.maxTokens(), parsed.includeStopString());
    boolean parseReasoning =
        chat && options.reasoningDialect().parsesReasoning() && parsed.thinkingEnabled();
    if (rendering != null && parseReasoning && "qwen3".equals(template.name())
        && parsed.prefill().state() != Prefill.State.NONE) {
      // vLLM's qwen3 parser (qwen3_reasoning_parser.py) needs <think> and </think> in the output;
      // when the prompt opened or closed the thought, the output has no <think>: all content.
      parseReasoning = false;
    }
    if (rendering != null && options.serverProfile().isVllm() && parsed.stream() && parseReasoning
        && decoding.stopReason() != null && !parsed.includeStopString()
        && !decoding.text().contains("</think>")) {
      // detokenizer.py holds back max(len(stop)) - 1 characters while a stop string may be
      // pending; when the stop ends the reasoning, the parser drops that tail.
      decoding = decoding.dropTail(holdBack(parsed.stops()));
    }
    Generation generation = new Generation(
        chat, chat ? VllmWire.chatId() : VllmWire.completionId(), VllmWire.nowSeconds(), model,
        decoding, options.reasoningDialect(), parseReasoning, parsed.promptTokens(),
        options.tokensPerChunk(), rendering != null);
    serve(request, script, generation, parsed);
  }

  static int holdBack(List<String> stops) {
    int longest = 0;
    for (String stop : stops) {
      longest = Math.max(longest, stop.length());
    }
    return Math.max(0, longest - 1);
  }

  private boolean servesTokenize() {
    return options.serverProfile() != null && options.serverProfile().isVllm();
  }

  /** vLLM's {@code POST /tokenize} (serving_tokenization.py), chat or prompt form. */
  private void tokenize(HttpServerResponse response, JsonObject body) {
    if (!modelMatches(response, body)) {
      return;
    }
    String prompt;
    try {
      if (body.containsKey("messages")) {
        if (rendering == null) {
          throw new IllegalArgumentException("As of transformers v4.44, default chat template is no"
              + " longer allowed, so you must provide a chat template if the tokenizer does not"
              + " define one.");
        }
        prompt = rendering.chat(body);
      } else if (body.getValue("prompt") instanceof String p) {
        prompt = tokenizer.withSpecialTokens(p, PromptRendering.flag(body, "add_special_tokens",
            true));
      } else {
        throw new IllegalArgumentException("Either `prompt` (a string) or `messages` is required");
      }
    } catch (IllegalArgumentException | ChatTemplateException e) {
      VllmWire.sendBadRequest(response, e.getMessage());
      return;
    }
    List<Integer> ids = tokenizer.encode(prompt, false);
    JsonObject out = new JsonObject()
        .put("count", ids.size())
        .put("max_model_len", MAX_MODEL_LEN)
        .put("tokens", new JsonArray(new ArrayList<Object>(ids)));
    if (Boolean.TRUE.equals(body.getValue("return_token_strs"))) {
      JsonArray strs = new JsonArray();
      ids.forEach(id -> strs.add(tokenizer.tokenText(id)));
      out.put("token_strs", strs);
    } else {
      out.putNull("token_strs");
    }
    VllmWire.sendJson(response, out);
  }

  /** vLLM's {@code POST /detokenize}: {@code {model, tokens}} → {@code {prompt}}. */
  private void detokenize(HttpServerResponse response, JsonObject body) {
    if (!modelMatches(response, body)) {
      return;
    }
    if (!(body.getValue("tokens") instanceof JsonArray tokens)) {
      VllmWire.sendBadRequest(response, "tokens must be a list of integers");
      return;
    }
    StringBuilder text = new StringBuilder();
    try {
      for (Object token : tokens) {
        if (!(token instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
          throw new IllegalArgumentException("tokens must be a list of integers");
        }
        text.append(tokenizer.tokenText(n.longValue()));
      }
    } catch (IllegalArgumentException e) {
      VllmWire.sendBadRequest(response, e.getMessage());
      return;
    }
    VllmWire.sendJson(response, new JsonObject().put("prompt", text.toString()));
  }

  private boolean modelMatches(HttpServerResponse response, JsonObject body) {
    Object model = body.getValue("model");
    if (model != null && !options.modelName().equals(model)) {
      VllmWire.sendError(response, 404, "NotFoundError",
          "The model `" + model + "` does not exist.");
      return false;
    }
    return true;
  }

  /**
   * The model's raw text: thinking, {@code </think>}, answer; only the answer when the prompt
   * closed the thought or thinking is disabled.
   */
  static String rawOutput(Script script, Prefill prefill, boolean thinkingEnabled, boolean openTag) {
    if (!thinkingEnabled || prefill.state() == Prefill.State.CLOSED) {
      return script.answer();
    }
    String thinking = script.thinking().stripTrailing();
    String open = openTag && prefill.state() == Prefill.State.NONE ? "<think>\n" : "";
    return open + thinking + (thinking.isEmpty() ? "" : "\n") + "</think>\n\n" + script.answer();
  }

  private void serve(
      HttpServerRequest request, Script script, Generation generation, ParsedRequest parsed) {
    HttpServerResponse response = request.response();
    if (script.faults().contains(Script.Fault.SERVER_ERROR)) {
      VllmWire.sendError(response, 500, "InternalServerError",
          "EngineCore encountered an issue (emulated fault).");
      return;
    }
    if (script.faults().contains(Script.Fault.STALL_FIRST)
        || !parsed.stream() && script.faults().contains(Script.Fault.STALL)) {
      stats.streamStarted();
      response.closeHandler(v -> stats.streamCancelled());
      return;
    }
    if (!parsed.stream() && script.faults().contains(Script.Fault.DROP)) {
      request.connection().close();
      return;
    }
    long delayMs = options.firstTokenDelayMs();
    if (!parsed.stream()) {
      if (options.tokensPerSecond() > 0) {
        delayMs += (long) (generation.completionTokens() * 1000 / options.tokensPerSecond());
      }
      respondLater(response, generation.response(), delayMs);
      return;
    }
    Script.Fault fault = script.faults().contains(Script.Fault.DROP) ? Script.Fault.DROP
        : script.faults().contains(Script.Fault.STALL) ? Script.Fault.STALL : null;
    PacedSseWriter writer = new PacedSseWriter(
        vertx, response, generation.events(parsed.includeUsage()), options.tokensPerSecond(),
        steps, fault, () -> request.connection().close(), stats, nanoClock);
    if (delayMs > 0) {
      vertx.setTimer(delayMs, id -> writer.start());
    } else {
      writer.start();
    }
  }

  private void respondLater(HttpServerResponse response, JsonObject body, long delayMs) {
    stats.streamStarted();
    if (delayMs <= 0) {
      stats.streamEnded();
      VllmWire.sendJson(response, body);
      return;
    }
    long timer = vertx.setTimer(delayMs, id -> {
      stats.streamEnded();
      VllmWire.sendJson(response, body);
    });
    response.closeHandler(v -> {
      if (vertx.cancelTimer(timer)) {
        stats.streamCancelled();
      }
    });
  }

  /** The fields of a generation request that drive the emulation. */
  private record ParsedRequest(
      String userText, Prefill prefill, boolean thinkingEnabled, boolean stream,
      boolean includeUsage, List<String> stops, Integer maxTokens, boolean includeStopString,
      boolean greedy, Long requestSeed, int promptTokens, String rawPrompt) {

    /** What the model takes from the rendered prompt; the template decides thinking on/off. */
    ParsedRequest seeing(String user, Prefill seenPrefill, int tokens) {
      return new ParsedRequest(user, seenPrefill, true, stream, includeUsage, stops, maxTokens,
          includeStopString, greedy, requestSeed, tokens, rawPrompt);
    }
  }

  private ParsedRequest parseChat(JsonObject body) {
    Object messagesValue = body.getValue("messages");
    if (!(messagesValue instanceof JsonArray messages) || messages.isEmpty()) {
      throw new IllegalArgumentException("messages must be a non-empty list");
    }
    String user = null;
    int promptTokens = 0;
    for (int i = 0; i < messages.size(); i++) {
      if (!(messages.getValue(i) instanceof JsonObject message)
          || !(message.getValue("role") instanceof String role)) {
        throw new IllegalArgumentException("messages[" + i + "] must be an object with a role");
      }
      String content = text(message.getValue("content"), "messages[" + i + "].content");
      promptTokens += Decoding.countWords(content) + 4;
      if (role.equals("user")) {
        user = content;
      }
    }
    boolean continueFinal = PromptRendering.flag(body, "continue_final_message", false);
    boolean addGenerationPrompt = PromptRendering.flag(body, "add_generation_prompt", true);
    if (continueFinal && addGenerationPrompt) {
      throw new IllegalArgumentException(
          "Cannot set both `continue_final_message` and `add_generation_prompt` to True.");
    }
    JsonObject last = messages.getJsonObject(messages.size() - 1);
    Prefill prefill = continueFinal && "assistant".equals(last.getString("role"))
        ? Prefill.of(text(last.getValue("content"), "content"))
        : Prefill.NONE;
    boolean thinkingEnabled = true;
    if (body.getValue("chat_template_kwargs") instanceof JsonObject kwargs
        && Boolean.FALSE.equals(kwargs.getValue("enable_thinking"))) {
      thinkingEnabled = false;
    }
    Integer maxTokens = maxTokens(body, "max_completion_tokens");
    if (maxTokens == null) {
      maxTokens = maxTokens(body, "max_tokens");
    }
    return common(body, user == null ? "" : user, prefill, thinkingEnabled, maxTokens,
        promptTokens + 2, null);
  }

  private ParsedRequest parseCompletion(JsonObject body) {
    Object promptValue = body.getValue("prompt");
    if (promptValue instanceof JsonArray array && array.size() == 1
        && array.getValue(0) instanceof String only) {
      promptValue = only;
    }
    if (!(promptValue instanceof String prompt)) {
      throw new IllegalArgumentException(
          "prompt must be a string (the emulator serves one prompt a request)");
    }
    TemplatePrompt template = TemplatePrompt.parse(prompt);
    Prefill prefill = template.assistantText() == null
        ? Prefill.NONE
        : Prefill.of(template.assistantText());
    return common(body, template.userText(), prefill, true, maxTokens(body, "max_tokens"),
        Decoding.countWords(prompt), prompt);
  }

  private static ParsedRequest common(
      JsonObject body, String user, Prefill prefill, boolean thinkingEnabled, Integer maxTokens,
      int promptTokens, String rawPrompt) {
    Object n = body.getValue("n");
    if (n != null && !(n instanceof Number num && num.intValue() == 1)) {
      throw new IllegalArgumentException("n must be 1 (the emulator generates one choice)");
    }
    boolean stream = PromptRendering.flag(body, "stream", false);
    boolean includeUsage = body.getValue("stream_options") instanceof JsonObject so
        && Boolean.TRUE.equals(so.getValue("include_usage"));
    if (body.getValue("stream_options") != null && !stream) {
      throw new IllegalArgumentException("Stream options can only be defined when `stream=True`.");
    }
    List<String> stops = Generation.stops(body.getValue("stop"));
    Object temperature = body.getValue("temperature");
    if (temperature != null && !(temperature instanceof Number)) {
      throw new IllegalArgumentException("temperature must be a number");
    }
    boolean greedy = temperature instanceof Number t && t.doubleValue() == 0.0;
    Object seed = body.getValue("seed");
    if (seed != null && !(seed instanceof Number)) {
      throw new IllegalArgumentException("seed must be an integer");
    }
    Long requestSeed = seed == null ? null : ((Number) seed).longValue();
    return new ParsedRequest(user, prefill, thinkingEnabled, stream, includeUsage, stops,
        maxTokens, PromptRendering.flag(body, "include_stop_str_in_output", false), greedy, requestSeed,
        promptTokens, rawPrompt);
  }

  private static Integer maxTokens(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
        || n.longValue() < 1) {
      throw new IllegalArgumentException(field + " must be at least 1, got " + value + ".");
    }
    return (int) Math.min(Integer.MAX_VALUE, n.longValue());
  }

  /** Message content as text: a string, or the text parts of a content list. */
  private static String text(Object content, String where) {
    if (content == null) {
      return "";
    }
    if (content instanceof String s) {
      return s;
    }
    if (content instanceof JsonArray parts) {
      StringBuilder text = new StringBuilder();
      for (Object part : parts) {
        if (part instanceof JsonObject p && "text".equals(p.getString("type"))) {
          text.append(p.getString("text", ""));
        }
      }
      return text.toString();
    }
    throw new IllegalArgumentException(where + " must be a string or a list of content parts");
  }

}
