package dev.thinkgate.guard;

import dev.thinkgate.config.GatewayConfig.GuardApi;
import dev.thinkgate.config.GatewayConfig.GuardConfig;
import dev.thinkgate.guard.GuardException.Kind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.ArrayDeque;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A guard served over HTTP by an OpenAI-compatible server (vLLM, SGLang): a raw prompt to
 * {@code /v1/completions} or messages to {@code /v1/chat/completions}, temperature 0.
 *
 * <p>Contract: at most {@code maxInFlight} calls run at once and at most {@code maxQueue} wait;
 * beyond that a call fails at once with {@code OVERLOADED}. Each call is bounded by
 * {@code timeoutMs} ({@code TIMEOUT}); {@code breakerFailures} consecutive failures open the
 * breaker for {@code breakerOpenMs} ({@code CIRCUIT_OPEN}), then one trial call decides. The API
 * key is read once from the injected environment and sent as a Bearer token; it is never logged.
 * Thread-safe: one instance serves every event loop.
 */
public final class HttpGuard implements RenderingGuard {

  private static final System.Logger LOG = System.getLogger(HttpGuard.class.getName());

  private final GuardConfig config;
  private final GuardPromptFormat format;
  private final HttpClient client;
  private final Vertx vertx;
  private final String endpoint;
  private final String bodyHead;
  private final String authorization;
  /** Calls made on an event loop go through it when set. */
  private final GuardTransport transport;
  private final CircuitBreaker breaker;
  private final ArrayDeque<Queued> queue = new ArrayDeque<>();
  /** How to give up on each call not finished yet, by the future handed to the caller. */
  private final java.util.Map<Future<GuardVerdict>, Runnable> cancellers =
      new java.util.concurrent.ConcurrentHashMap<>();
  private int inFlight;

  private final Map<Outcome, Counter> calls = new EnumMap<>(Outcome.class);
  private final Timer latency;

  /** Outcome tag of {@code thinkgate.guard.calls}. */
  enum Outcome { SAFE, UNSAFE, TIMEOUT, HTTP_ERROR, UNPARSABLE, OVERLOADED, CIRCUIT_OPEN, CANCELLED;
    String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  private record Queued(String body, Promise<GuardVerdict> promise, boolean trial) {}

  public HttpGuard(GuardConfig config, GuardPromptFormat format, HttpClient client, Vertx vertx,
      MeterRegistry registry, Function<String, String> env, LongSupplier clockMillis) {
    this(config, format, client, null, vertx, registry, env, clockMillis);
  }

  /**
   * @param transports builds the transport calls made on an event loop use, or null for Vert.x's
   *     {@code client} everywhere
   */
  public HttpGuard(GuardConfig config, GuardPromptFormat format, HttpClient client,
      GuardTransport.Factory transports, Vertx vertx, MeterRegistry registry,
      Function<String, String> env, LongSupplier clockMillis) {
    this.config = config;
    this.format = format;
    this.client = client;
    this.vertx = vertx;
    if (config.url() == null || config.url().isBlank()) {
      throw new IllegalArgumentException("guards." + config.name() + ".url is required");
    }
    if (config.maxInFlight() < 1) {
      throw new IllegalArgumentException("guards." + config.name() + ".max_in_flight must be >= 1");
    }
    if (config.maxQueue() < 0) {
      throw new IllegalArgumentException("guards." + config.name() + ".max_queue must be >= 0");
    }
    if (config.timeoutMs() < 1) {
      throw new IllegalArgumentException("guards." + config.name() + ".timeout_ms must be >= 1");
    }
    if (config.api() == GuardApi.COMPLETIONS && !format.supportsCompletions()) {
      throw new IllegalArgumentException("guards." + config.name() + ": format "
          + config.format().wire() + " needs api: chat");
    }
    this.endpoint = endpoint(config.url(), config.api());
    this.bodyHead = bodyHead(config, format);
    String key = config.apiKeyEnv() == null ? null : env.apply(config.apiKeyEnv());
    if (config.apiKeyEnv() != null && (key == null || key.isBlank())) {
      LOG.log(System.Logger.Level.WARNING, "guard {0}: environment variable {1} is not set; calling without a key",
          config.name(), config.apiKeyEnv());
    }
    if (key != null && key.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
      // it would end the Authorization header early: refused, and never echoed
      throw new IllegalArgumentException("guards." + config.name() + ".api_key_env: environment"
          + " variable " + config.apiKeyEnv() + " holds a control character");
    }
    this.authorization = key == null || key.isBlank() ? null : "Bearer " + key;
    this.transport = transports == null ? null : transports.create(endpoint, authorization,
        (int) Math.min(Integer.MAX_VALUE, Math.max(1, config.timeoutMs())));
    this.breaker = new CircuitBreaker(config.breakerFailures(), config.breakerOpenMs(), clockMillis);

    String guard = config.name();
    for (Outcome o : Outcome.values()) {
      calls.put(o, Counter.builder("thinkgate.guard.calls").description("guard calls by outcome")
          .tag("guard", guard).tag("outcome", o.tag()).register(registry));
    }
    latency = Timer.builder("thinkgate.guard.latency").description("guard call wall time")
        .tag("guard", guard).register(registry);
    Gauge.builder("thinkgate.guard.inflight", this, HttpGuard::inFlight).tag("guard", guard)
        .description("guard calls in flight").register(registry);
    Gauge.builder("thinkgate.guard.breaker.state", this, g -> g.breaker.state().ordinal()).tag("guard", guard)
        .description("0 closed, 1 open, 2 half-open").register(registry);
  }

  static String endpoint(String url, GuardApi api) {
    String base = url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    if (!base.endsWith("/v1")) {
      base = base + "/v1";
    }
    return base + (api == GuardApi.CHAT ? "/chat/completions" : "/completions");
  }

  @Override
  public String name() {
    return config.name();
  }

  synchronized int inFlight() {
    return inFlight;
  }

  /** Current breaker state, for tests and the admin API. */
  public String breakerState() {
    return breaker.state().name().toLowerCase(java.util.Locale.ROOT);
  }

  @Override
  public String render(GuardRequest request) {
    return format.wireText(request, config.api());
  }

  @Override
  public Future<GuardVerdict> judgeRendered(String rendered) {
    String body = body(rendered);
    CircuitBreaker.Permit permit = breaker.acquire();
    if (permit == CircuitBreaker.Permit.REJECTED) {
      calls.get(Outcome.CIRCUIT_OPEN).increment();
      return Future.failedFuture(new GuardException(Kind.CIRCUIT_OPEN,
          "guard " + config.name() + " circuit is open after repeated failures"));
    }
    Promise<GuardVerdict> promise = Promise.promise();
    boolean startNow;
    synchronized (this) {
      if (inFlight < config.maxInFlight()) {
        inFlight++;
        startNow = true;
      } else if (queue.size() < config.maxQueue()) {
        Queued queued = new Queued(body, promise, permit == CircuitBreaker.Permit.TRIAL);
        queue.add(queued);
        cancellers.put(promise.future(), () -> dropQueued(queued));
        startNow = false;
      } else {
        if (permit == CircuitBreaker.Permit.TRIAL) {
          breaker.trialAborted();
        }
        calls.get(Outcome.OVERLOADED).increment();
        return Future.failedFuture(new GuardException(Kind.OVERLOADED,
            "guard " + config.name() + " is overloaded: " + config.maxInFlight() + " calls in flight and "
                + config.maxQueue() + " queued"));
      }
    }
    if (startNow) {
      send(body, promise);
    }
    return promise.future();
  }

  @Override
  public void cancel(Future<GuardVerdict> call) {
    Runnable canceller = cancellers.remove(call);
    if (canceller != null) {
      canceller.run();
    }
  }

  private void dropQueued(Queued queued) {
    boolean removed;
    synchronized (this) {
      removed = queue.remove(queued);
    }
    if (removed) {
      if (queued.trial()) {
        breaker.trialAborted();
      }
      calls.get(Outcome.CANCELLED).increment();
      queued.promise().tryFail(cancelled());
    }
  }

  private GuardException cancelled() {
    return new GuardException(Kind.CANCELLED, "guard " + config.name() + " call cancelled");
  }

  /** The call's JSON body around {@code rendered}, the prompt or the encoded messages. */
  String body(String rendered) {
    // bodyHead ends in "prompt": or "messages": ; the encoded messages are JSON already
    String value = config.api() == GuardApi.CHAT ? rendered : Json.encode(rendered);
    return new StringBuilder(bodyHead.length() + value.length() + 1).append(bodyHead)
        .append(value).append('}').toString();
  }

  /** Every member of the body but the last, the prompt or the messages, whose key ends it. */
  private static String bodyHead(GuardConfig config, GuardPromptFormat format) {
    JsonObject head = new JsonObject().put("model", config.model()).put("temperature", 0)
        .put("max_tokens", format.maxTokens()).put("stream", false);
    if (config.api() != GuardApi.CHAT) {
      // The prompt already starts with <|begin_of_text|>; vLLM must not add a second BOS.
      head.put("add_special_tokens", false);
    }
    String members = head.encode();
    return members.substring(0, members.length() - 1) + ",\""
        + (config.api() == GuardApi.CHAT ? "messages" : "prompt") + "\":";
  }

  /** Largest guard reply read; a verdict is a few tokens, so anything near this is not one. */
  private static final int MAX_REPLY_BYTES = 1 << 20;

  /**
   * Sends one call, bounded by the timeout and cancellable: over the pooled HTTP/1.1 client on an
   * event loop when the gateway gave one, else over Vert.x's client.
   */
  private void send(String body, Promise<GuardVerdict> promise) {
    long started = System.nanoTime();
    AtomicBoolean done = new AtomicBoolean();
    Runnable[] cancelCall = new Runnable[1];
    long timer = vertx.setTimer(config.timeoutMs(), id -> {
      if (done.compareAndSet(false, true)) {
        if (cancelCall[0] != null) {
          cancelCall[0].run();
        }
        finish(promise, started, Future.failedFuture(new GuardException(Kind.TIMEOUT,
            "guard " + config.name() + " did not answer within " + config.timeoutMs() + " ms")));
      }
    });
    cancellers.put(promise.future(), () -> {
      if (done.compareAndSet(false, true)) {
        vertx.cancelTimer(timer);
        if (cancelCall[0] != null) {
          cancelCall[0].run();
        }
        release(promise, Future.failedFuture(cancelled()));
      }
    });
    io.vertx.core.Handler<io.vertx.core.AsyncResult<GuardTransport.Reply>> onReply = ar -> {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      vertx.cancelTimer(timer);
      Future<GuardVerdict> result;
      try {
        if (ar.failed()) {
          throw asGuardException(ar.cause());
        }
        if (ar.result().status() != 200) {
          throw new GuardException(Kind.HTTP_ERROR,
              "guard " + config.name() + " answered HTTP " + ar.result().status());
        }
        result = Future.succeededFuture(format.parse(generatedText(ar.result().body()),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started)));
      } catch (RuntimeException e) {
        result = Future.failedFuture(asGuardException(e));
      }
      finish(promise, started, result);
    };
    cancelCall[0] = transport != null && transport.callableHere()
        ? transport.post(Buffer.buffer(body), config.timeoutMs(), MAX_REPLY_BYTES, onReply)
        : postWithVertx(body, onReply);
  }

  /**
   * Posts over Vert.x's HTTP client (calls made off an event loop, or without a transport).
   *
   * @return resets the request once it exists (a reset is safe from any thread)
   */
  private Runnable postWithVertx(String body,
      io.vertx.core.Handler<io.vertx.core.AsyncResult<GuardTransport.Reply>> onReply) {
    HttpClientRequest[] sent = new HttpClientRequest[1];
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(endpoint)
        .putHeader("content-type", "application/json").putHeader("accept", "application/json");
    if (authorization != null) {
      options.putHeader("authorization", authorization);
    }
    client.request(options)
        .compose(req -> {
          synchronized (sent) {
            sent[0] = req;
          }
          return req.send(Buffer.buffer(body));
        })
        .compose(resp -> resp.body().map(buf -> new GuardTransport.Reply(resp.statusCode(), buf)))
        .onComplete(onReply);
    return () -> {
      HttpClientRequest req;
      synchronized (sent) {
        req = sent[0];
      }
      if (req != null) {
        req.reset();
      }
    };
  }

  private String generatedText(Buffer buf) {
    return GuardReply.generatedText(buf, config.api() == GuardApi.CHAT, config.name());
  }

  private GuardException asGuardException(Throwable t) {
    if (t instanceof GuardException g) {
      return g;
    }
    if (t instanceof ClassCastException) {
      return new GuardException(Kind.UNPARSABLE, "guard " + config.name() + " answered with unexpected JSON");
    }
    return new GuardException(Kind.HTTP_ERROR,
        "guard " + config.name() + " call failed: " + t.getClass().getSimpleName());
  }

  private void finish(Promise<GuardVerdict> promise, long startedNanos, Future<GuardVerdict> result) {
    latency.record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
    if (result.succeeded()) {
      breaker.onSuccess();
      calls.get(result.result().safe() ? Outcome.SAFE : Outcome.UNSAFE).increment();
    } else {
      breaker.onFailure();
      GuardException e = (GuardException) result.cause();
      calls.get(Outcome.valueOf(e.kind().name())).increment();
    }
    release(promise, result);
  }

  /** Frees the call's slot (starting the next queued call) and completes it. */
  private void release(Promise<GuardVerdict> promise, Future<GuardVerdict> result) {
    cancellers.remove(promise.future());
    if (result.failed() && result.cause() instanceof GuardException g
        && g.kind() == Kind.CANCELLED) {
      calls.get(Outcome.CANCELLED).increment();
    }
    Queued next;
    synchronized (this) {
      next = queue.poll();
      if (next == null) {
        inFlight--;
      }
    }
    promise.handle(result);
    if (next != null) {
      send(next.body(), next.promise());
    }
  }
}
