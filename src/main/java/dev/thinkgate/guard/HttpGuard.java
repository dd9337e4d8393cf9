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
import java.util.ArrayList;
import java.util.List;
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
  /** Where every call over Vert.x's client is made, so each is read on its connection's loop. */
  private final dev.thinkgate.http.ClientContext clientContext;
  /** Calls made on an event loop go through it when set. */
  private final GuardTransport transport;
  private final CircuitBreaker breaker;
  private final ArrayDeque<Call> queue = new ArrayDeque<>();
  /** How to give up on each call not finished yet, by the future handed to the caller. */
  private final java.util.Map<Future<GuardVerdict>, Runnable> cancellers =
      new java.util.concurrent.ConcurrentHashMap<>();
  private int inFlight;
  /** The server showed it does not take a list of prompts: each goes alone from then on. */
  private final AtomicBoolean noLists = new AtomicBoolean();

  private final Map<Outcome, Counter> calls = new EnumMap<>(Outcome.class);
  private final Timer latency;
  /** HTTP requests sent: fewer than verdicts when calls go in batches. */
  private final Counter requests;
  private final MeterRegistry registry;
  /** This guard's gauges, removed when it is retired so its replacement's are the ones read. */
  private final java.util.List<Gauge> gauges = new java.util.ArrayList<>(2);

  /** Outcome tag of {@code thinkgate.guard.calls}. */
  enum Outcome { SAFE, UNSAFE, TIMEOUT, HTTP_ERROR, UNPARSABLE, OVERLOADED, CIRCUIT_OPEN, CANCELLED;
    String tag() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

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
    this.clientContext = new dev.thinkgate.http.ClientContext(vertx);
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
    requests = Counter.builder("thinkgate.guard.requests")
        .description("HTTP requests sent to the guard (a batch is one)").tag("guard", guard)
        .register(registry);
    latency = Timer.builder("thinkgate.guard.latency").description("guard call wall time")
        .tag("guard", guard).register(registry);
    this.registry = registry;
    gauges.add(Gauge.builder("thinkgate.guard.inflight", this, HttpGuard::inFlight)
        .tag("guard", guard).description("guard calls in flight").register(registry));
    gauges.add(Gauge.builder("thinkgate.guard.breaker.state", this,
            g -> g.breaker.state().ordinal()).tag("guard", guard)
        .description("0 closed, 1 open, 2 half-open").register(registry));
  }

  /**
   * {@inheritDoc} Its gauges leave the registry now (a gauge registered again under the same name
   * and tags would keep reading this guard); its idle pooled connections close now, the busy ones
   * as their calls end, and both clients close after {@code drainMs}.
   */
  @Override
  public void retire(long drainMs) {
    gauges.forEach(registry::remove);
    if (transport != null) {
      transport.retire(drainMs);
    }
    vertx.setTimer(Math.max(1, drainMs), id -> client.close());
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
    return submit(List.of(rendered), body(rendered)).get(0);
  }

  /**
   * Judges several rendered requests. With the completions API they go as one request whose
   * {@code prompt} is their list, as vLLM and SGLang take it (one choice a prompt, in order); a
   * batch the server refuses with HTTP 400 (one prompt too long, say) is sent again prompt by
   * prompt, so one bad prompt fails only its own verdict. The chat API takes one conversation a
   * request, so there each is its own call.
   */
  @Override
  public List<Future<GuardVerdict>> judgeRenderedAll(List<String> rendered) {
    if (rendered.size() == 1 || config.api() == GuardApi.CHAT || noLists.get()) {
      return RenderingGuard.super.judgeRenderedAll(rendered);
    }
    return submit(List.copyOf(rendered), batchBody(rendered));
  }

  @Override
  public void cancel(Future<GuardVerdict> call) {
    Runnable canceller = cancellers.remove(call);
    if (canceller != null) {
      canceller.run();
    }
  }

  /**
   * One HTTP request to the guard, for the verdicts of {@code rendered} (one, or a batch);
   * its fields but {@code live}, {@code queued} and {@code abort} never change.
   */
  private static final class Call {
    final String body;
    final List<String> rendered;
    final List<Promise<GuardVerdict>> promises;
    final boolean trial;
    /** Where it was asked for: it is sent there, over that event loop's pool. Null off Vert.x. */
    final io.vertx.core.Context origin = Vertx.currentContext();
    /** Members nobody cancelled yet. Guarded by the guard. */
    int live;
    /** Waiting in the queue. Guarded by the guard. */
    boolean queued;
    /** Gives the request up once it was sent. Guarded by the guard. */
    Runnable abort;

    Call(String body, List<String> rendered, List<Promise<GuardVerdict>> promises, boolean trial) {
      this.body = body;
      this.rendered = rendered;
      this.promises = promises;
      this.trial = trial;
      this.live = promises.size();
    }

    boolean batched() {
      return promises.size() > 1;
    }
  }

  /** Starts or queues one request for {@code rendered}: one future a prompt, in order. */
  private List<Future<GuardVerdict>> submit(List<String> rendered, String body) {
    List<Promise<GuardVerdict>> promises = new ArrayList<>(rendered.size());
    List<Future<GuardVerdict>> futures = new ArrayList<>(rendered.size());
    for (int i = 0; i < rendered.size(); i++) {
      Promise<GuardVerdict> p = Promise.promise();
      promises.add(p);
      futures.add(p.future());
    }
    CircuitBreaker.Permit permit = breaker.acquire();
    if (permit == CircuitBreaker.Permit.REJECTED) {
      failAll(promises, Outcome.CIRCUIT_OPEN, new GuardException(Kind.CIRCUIT_OPEN,
          "guard " + config.name() + " circuit is open after repeated failures"));
      return futures;
    }
    Call call = new Call(body, rendered, promises, permit == CircuitBreaker.Permit.TRIAL);
    // cancellable before anyone can send it: a slot freed on another loop may take it at once
    for (Promise<GuardVerdict> p : promises) {
      cancellers.put(p.future(), () -> cancelMember(call, p));
    }
    boolean startNow = false;
    boolean overloaded = false;
    synchronized (this) {
      if (inFlight < config.maxInFlight()) {
        inFlight++;
        startNow = true;
      } else if (queue.size() < config.maxQueue()) {
        queue.add(call);
        call.queued = true;
      } else {
        overloaded = true;
      }
    }
    if (overloaded) {
      if (permit == CircuitBreaker.Permit.TRIAL) {
        breaker.trialAborted();
      }
      promises.forEach(p -> cancellers.remove(p.future()));
      failAll(promises, Outcome.OVERLOADED, new GuardException(Kind.OVERLOADED,
          "guard " + config.name() + " is overloaded: " + config.maxInFlight()
              + " calls in flight and " + config.maxQueue() + " queued"));
      return futures;
    }
    if (startNow) {
      send(call);
    }
    return futures;
  }

  /** Fails each of {@code promises} nobody cancelled meanwhile, counting it. */
  private void failAll(List<Promise<GuardVerdict>> promises, Outcome outcome, GuardException e) {
    for (Promise<GuardVerdict> p : promises) {
      if (p.tryFail(e)) {
        calls.get(outcome).increment();
      }
    }
  }

  /**
   * One member of {@code call} was given up: it fails at once; once every member was, a queued
   * request leaves the queue and one in flight is reset.
   */
  private void cancelMember(Call call, Promise<GuardVerdict> member) {
    if (!member.tryFail(cancelled())) {
      return;
    }
    calls.get(Outcome.CANCELLED).increment();
    boolean dropped = false;
    Runnable abort = null;
    synchronized (this) {
      if (--call.live > 0) {
        return;
      }
      if (call.queued) {
        dropped = queue.remove(call);
        call.queued = false;
      } else {
        abort = call.abort;
      }
    }
    if (dropped && call.trial) {
      breaker.trialAborted();
    }
    if (abort != null) {
      abort.run();
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

  /** A completions body whose {@code prompt} is the list of {@code rendered}, in order. */
  String batchBody(List<String> rendered) {
    StringBuilder b = new StringBuilder(bodyHead).append('[');
    for (int i = 0; i < rendered.size(); i++) {
      b.append(i == 0 ? "" : ",").append(Json.encode(rendered.get(i)));
    }
    return b.append("]}").toString();
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
   * Sends one request, bounded by the timeout and cancellable: over the pooled HTTP/1.1 client on
   * an event loop when the gateway gave one, else over Vert.x's client.
   */
  private void send(Call call) {
    requests.increment();
    long started = System.nanoTime();
    AtomicBoolean done = new AtomicBoolean();
    Runnable[] cancelCall = new Runnable[1];
    long timer = vertx.setTimer(config.timeoutMs(), id -> {
      if (done.compareAndSet(false, true)) {
        if (cancelCall[0] != null) {
          cancelCall[0].run();
        }
        finish(call, started, new GuardException(Kind.TIMEOUT,
            "guard " + config.name() + " did not answer within " + config.timeoutMs() + " ms"));
      }
    });
    Runnable abort = () -> {
      if (done.compareAndSet(false, true)) {
        vertx.cancelTimer(timer);
        if (cancelCall[0] != null) {
          cancelCall[0].run();
        }
        releaseSlot();
      }
    };
    io.vertx.core.Handler<io.vertx.core.AsyncResult<GuardTransport.Reply>> onReply = ar -> {
      if (!done.compareAndSet(false, true)) {
        return;
      }
      vertx.cancelTimer(timer);
      if (ar.failed()) {
        finish(call, started, asGuardException(ar.cause()));
      } else if (call.batched() && REFUSED_BATCH.contains(ar.result().status())) {
        if (ar.result().status() != 400) {
          // 400 is vLLM's refusal of one prompt in the list; 413 and 422 refuse lists
          noLists("answered a list of prompts with HTTP " + ar.result().status());
        }
        oneByOne(call);
      } else if (ar.result().status() != 200) {
        finish(call, started, new GuardException(Kind.HTTP_ERROR,
            "guard " + config.name() + " answered HTTP " + ar.result().status()));
      } else {
        finish(call, started, ar.result().body());
      }
    };
    try {
      cancelCall[0] = transport != null && transport.callableHere()
          ? transport.post(Buffer.buffer(call.body), config.timeoutMs(), MAX_REPLY_BYTES, onReply)
          : postWithVertx(call.body, onReply);
    } catch (RuntimeException e) {
      onReply.handle(Future.failedFuture(e)); // e.g. a client closed under a reload
    }
    boolean abandoned;
    synchronized (this) {
      call.abort = abort;
      abandoned = call.live == 0;
    }
    if (abandoned) {
      abort.run();
    }
  }

  /**
   * Posts over Vert.x's HTTP client (calls made off an event loop, or without a transport), on
   * the guard's one {@link dev.thinkgate.http.ClientContext} (else a reply's body can be lost).
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
    clientContext.call(() -> client.request(options)
        .compose(req -> {
          synchronized (sent) {
            sent[0] = req;
          }
          return req.send(Buffer.buffer(body))
              .compose(resp -> resp.body().map(buf -> new GuardTransport.Reply(resp.statusCode(), buf)));
        }))
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

  /**
   * Statuses with which a server refuses a list of prompts it would take one by one: vLLM's 400
   * (one prompt over max_model_len fails the whole list), 413 (the body over a size limit) and
   * 422 (a FastAPI server whose schema takes one string).
   */
  private static final java.util.Set<Integer> REFUSED_BATCH = java.util.Set.of(400, 413, 422);

  /**
   * Ends {@code call} with the server's reply: each member's verdict, in prompt order. A batch
   * answered with some other number of choices than prompts was not taken as a batch: each
   * prompt is sent again alone.
   */
  private void finish(Call call, long startedNanos, Buffer reply) {
    long guardMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos);
    List<Future<GuardVerdict>> results = new ArrayList<>(call.promises.size());
    try {
      List<String> texts = call.batched()
          ? GuardReply.generatedTexts(reply, call.promises.size(), config.name())
          : java.util.Collections.singletonList(
              GuardReply.generatedText(reply, config.api() == GuardApi.CHAT, config.name()));
      if (texts == null) {
        noLists("answered a list of " + call.promises.size() + " prompts with another number of"
            + " choices");
        oneByOne(call);
        return;
      }
      for (String text : texts) {
        Future<GuardVerdict> one;
        try {
          one = Future.succeededFuture(format.parse(text, guardMs));
        } catch (RuntimeException e) {
          one = Future.failedFuture(asGuardException(e));
        }
        results.add(one);
      }
    } catch (RuntimeException e) {
      finish(call, startedNanos, asGuardException(e));
      return;
    }
    latency.record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
    if (results.stream().allMatch(Future::succeeded)) {
      breaker.onSuccess();
    } else {
      breaker.onFailure();
    }
    complete(call, results);
  }

  /** Ends {@code call} with one failure for every member. */
  private void finish(Call call, long startedNanos, GuardException failure) {
    latency.record(System.nanoTime() - startedNanos, TimeUnit.NANOSECONDS);
    breaker.onFailure();
    complete(call, java.util.Collections.nCopies(call.promises.size(),
        Future.failedFuture(failure)));
  }

  /** Frees the request's slot, then completes each member nobody cancelled, counting it. */
  private void complete(Call call, List<Future<GuardVerdict>> results) {
    releaseSlot();
    for (int i = 0; i < call.promises.size(); i++) {
      Promise<GuardVerdict> p = call.promises.get(i);
      if (cancellers.remove(p.future()) == null) {
        continue; // cancelled: already failed and counted
      }
      Future<GuardVerdict> r = results.get(i);
      calls.get(r.succeeded() ? (r.result().safe() ? Outcome.SAFE : Outcome.UNSAFE)
          : Outcome.valueOf(((GuardException) r.cause()).kind().name())).increment();
      p.handle(r);
    }
  }

  /** From now on each prompt goes alone; said once. */
  private void noLists(String why) {
    if (noLists.compareAndSet(false, true)) {
      LOG.log(System.Logger.Level.WARNING, "guard {0} {1}: it does not take a list of prompts;"
          + " sending each alone from now on", config.name(), why);
    }
  }

  /**
   * A batch the server refused ({@link #REFUSED_BATCH}) or did not answer as one: each member
   * nobody cancelled is judged again on its own. That is not the guard's ill health, so the
   * breaker does not count it.
   */
  private void oneByOne(Call call) {
    releaseSlot();
    for (int i = 0; i < call.promises.size(); i++) {
      Promise<GuardVerdict> p = call.promises.get(i);
      if (cancellers.remove(p.future()) == null) {
        continue;
      }
      Future<GuardVerdict> alone = judgeRendered(call.rendered.get(i));
      cancellers.put(p.future(), () -> {
        p.tryFail(cancelled());
        cancel(alone);
      });
      alone.onComplete(ar -> {
        cancellers.remove(p.future());
        if (ar.succeeded()) {
          p.tryComplete(ar.result());
        } else {
          p.tryFail(ar.cause());
        }
      });
    }
  }

  /** Frees a request's slot: the next queued request, if any, is sent in it. */
  private void releaseSlot() {
    Call next;
    synchronized (this) {
      next = queue.poll();
      if (next == null) {
        inFlight--;
      } else {
        next.queued = false;
      }
    }
    if (next != null) {
      io.vertx.core.Context origin = next.origin;
      if (origin == null || Vertx.currentContext() == origin) {
        send(next);
      } else {
        origin.runOnContext(v -> send(next)); // freed elsewhere: sent where it was asked for
      }
    }
  }
}
