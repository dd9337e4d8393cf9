package dev.thinkgate.proxy;

import dev.thinkgate.api.openai.OpenAiException;
import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.metrics.GatewayMetrics;
import dev.thinkgate.policy.Policy;
import dev.thinkgate.policy.ReasoningMode;
import dev.thinkgate.stream.ClientDialectEncoder;
import dev.thinkgate.tenant.Admission;
import dev.thinkgate.tenant.Tenant;
import dev.thinkgate.tenant.TenantAdmission;
import io.vertx.core.DeploymentOptions;
import io.vertx.core.Future;
import io.vertx.core.VerticleBase;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The OpenAI-compatible HTTP surface (DESIGN §3): auth, body limits, validation, routing, tenant
 * limits and policy selection, then one {@link GenerationPipeline} per generation request.
 * Every failure leaves through {@link Errors} as an OpenAI error body.
 */
public final class GatewayServer {
  private static final Logger LOG = System.getLogger("thinkgate.request");
  private static final long HEALTH_INTERVAL_MS = 5_000;

  private final Vertx vertx;
  private final GatewayMetrics metrics;
  private final GatewayRuntime.Factory factory;
  private final AtomicReference<GatewayRuntime> runtime = new AtomicReference<>();
  private final dev.thinkgate.state.StateStore state;
  private final TenantAdmission admissions;
  private final RequestRecorder recorder;
  private final PipelineServices services;
  private final Map<String, Boolean> upstreamHealthy = new ConcurrentHashMap<>();
  private final java.util.List<String> deployments = new java.util.concurrent.CopyOnWriteArrayList<>();
  private long healthTimer = -1;
  /** {@code server.request_timeout_ms} of the latest valid config; each request reads it once. */
  private volatile long requestTimeoutMs;
  /** Off only to compare the raw relay with the parsed path (tests, benchmarks). */
  private volatile boolean rawRelay = true;
  /** {@code server.drain_timeout_ms} of the latest valid config, read when the drain starts. */
  private volatile long drainTimeoutMs;
  private final ShutdownDrain drain;

  /**
   * @param env environment lookup for upstream and guard API keys
   * @param defaultPolicy the policy of the anonymous tenant when no tenant has keys
   * @param audit where audit records go ({@code AuditSinks.discarding()} for none)
   * @param clockMillis wall clock for timestamps and screening timers
   */
  public GatewayServer(Vertx vertx, GatewayConfig initial, GatewayMetrics metrics,
      java.util.function.Function<String, String> env, String defaultPolicy,
      dev.thinkgate.audit.AuditSink audit, java.util.function.LongSupplier clockMillis) {
    this.vertx = vertx;
    this.metrics = metrics;
    this.state = new dev.thinkgate.state.StateStore(vertx);
    this.state.apply(initial.state());
    dev.thinkgate.state.StateErrors stateErrors =
        new dev.thinkgate.state.StateErrors(metrics.registry());
    this.factory = new GatewayRuntime.Factory(vertx, metrics, env, defaultPolicy, state::redis,
        stateErrors);
    this.runtime.set(factory.build(initial));
    this.admissions = new TenantAdmission(vertx, state, stateErrors, metrics.registry(),
        System::nanoTime);
    this.admissions.apply(initial);
    java.util.random.RandomGenerator random = new java.util.Random(); // thread-safe: shared by event loops
    this.recorder = new RequestRecorder(audit, random, metrics.registry(),
        initial.audit().maxSafeAtKConcurrency(), clockMillis, this::backgroundSample,
        name -> runtime.get().guard(name));
    this.services = new PipelineServices(vertx, metrics, name -> runtime.get().guard(name),
        audit, random, clockMillis, () -> requestTimeoutMs,
        new ShadowTrials(name -> runtime.get().config().policies().get(name),
            name -> runtime.get().guard(name), metrics.registry()), () -> rawRelay);
    this.requestTimeoutMs = initial.server().requestTimeoutMs();
    this.drainTimeoutMs = initial.server().drainTimeoutMs();
    this.drain = new ShutdownDrain(vertx, System::nanoTime);
    drain.waitAlsoFor(recorder::safeAtKInFlight);
  }

  /** Lets streams take the raw relay where it applies (the default), or sends all parsed. */
  void rawRelay(boolean enabled) {
    rawRelay = enabled;
  }

  /**
   * Applies a new valid configuration to new requests; open streams keep theirs. Routes keep the
   * prefill decision of an unchanged route of the previous configuration until their new probe
   * ({@link #probeRoutes()}) decides.
   */
  public void apply(GatewayConfig config) {
    GatewayRuntime previous = runtime.get();
    state.apply(config.state());
    admissions.apply(config);
    GatewayRuntime next = factory.build(config, drainAfterReloadMs(previous.config()));
    for (UpstreamRoute route : next.routes()) {
      for (UpstreamRoute old : previous.routes()) {
        if (old.config().equals(route.config())) {
          route.decide(old.decision());
        }
      }
    }
    runtime.set(next);
    admissions.retainOnly(next.tenants().tenants());
    requestTimeoutMs = config.server().requestTimeoutMs();
    drainTimeoutMs = config.server().drainTimeoutMs();
    recorder.setMaxSafeAtKConcurrency(config.audit().maxSafeAtKConcurrency());
    probeRoutes();
  }

  /**
   * How long what a reload retires (a route's pools and client, a replaced guard) keeps serving
   * the requests that began before it: the longest a request of the previous configuration may
   * run (its request timeout, or its routes' total timeout when longer), and a minute more.
   */
  static long drainAfterReloadMs(GatewayConfig previous) {
    long longest = previous.server().requestTimeoutMs();
    for (GatewayConfig.RouteConfig r : previous.routes()) {
      longest = Math.max(longest, r.timeouts().totalMs());
    }
    return longest + 60_000;
  }

  /**
   * Probes every {@code dialect: auto} route of the current configuration (at start and after a
   * reload) and logs each route's decision once; completes when all decided (never fails).
   */
  public Future<Void> probeRoutes() {
    java.util.List<Future<?>> probes = new java.util.ArrayList<>();
    for (UpstreamRoute route : runtime.get().routes()) {
      if (route.config().dialect() != GatewayConfig.UpstreamDialect.AUTO) {
        continue;
      }
      dev.thinkgate.reasoning.PrefillProbe probe = new dev.thinkgate.reasoning.PrefillProbe(
          route.probeTransport(), dev.thinkgate.reasoning.ChatTemplates.builtIn().jinja());
      probes.add(route.probeModel()
          .compose(model -> probe.probe(route.config(), model))
          .onSuccess(decision -> {
            String previous = route.decision().reason();
            route.decide(decision);
            if (!decision.reason().equals(previous)) {
              LOG.log(decision.prefillsKept() ? Logger.Level.INFO : Logger.Level.WARNING,
                  "route " + route.label() + " -> " + route.baseUrl() + ": " + decision.reason());
            }
          }));
    }
    return Future.join(probes).mapEmpty();
  }

  /** Each route's prefill decision, for {@code /admin/config}: route model → decision. */
  public JsonObject prefillDecisions() {
    JsonObject out = new JsonObject();
    for (UpstreamRoute route : runtime.get().routes()) {
      out.put(route.label(), route.decision().toJson());
    }
    return out;
  }

  public GatewayMetrics metrics() {
    return metrics;
  }

  /** Starts one HTTP server per available core (Vert.x balances connections between them). */
  public Future<Integer> start(String host, int port) {
    return start(host, port, Runtime.getRuntime().availableProcessors());
  }

  /**
   * Starts {@code eventLoops} HTTP server instances on the same port, each on its own event loop;
   * a request is handled entirely on the loop that accepted its connection.
   *
   * @param port 0 picks a free port (the first instance picks, the others share it)
   */
  public Future<Integer> start(String host, int port, int eventLoops) {
    if (eventLoops < 1) {
      throw new IllegalArgumentException("eventLoops must be at least 1, got " + eventLoops);
    }
    checkUpstreams();
    healthTimer = vertx.setPeriodic(HEALTH_INTERVAL_MS, id -> checkUpstreams());
    // prefills must reach the model as sent from the first request on: decide before listening
    Future<Void> probed = probeRoutes();
    // Instances share a listening socket only when they ask for the same port, so a "free
    // port" is chosen once, up front.
    int shared = port == 0 && eventLoops > 1 ? freePort(host) : port;
    java.util.Set<Integer> bound = java.util.concurrent.ConcurrentHashMap.newKeySet();
    return probed.compose(p -> vertx.deployVerticle(() -> new ServerVerticle(host, shared, bound),
            new DeploymentOptions().setInstances(eventLoops)))
        .compose(id -> {
          deployments.add(id);
          if (bound.size() != 1) {
            return close().compose(v -> Future.failedFuture(new IllegalStateException(
                "server instances bound different ports: " + bound)));
          }
          return Future.succeededFuture(bound.iterator().next());
        });
  }

  /** A listener of {@link #listenOnOneLoop}: its port and the event loop that serves it. */
  public record LoopListener(int port, Thread loop) {}

  /**
   * One more HTTP server instance on a port of its own, served by one event loop (the next the
   * loop group gives): every request to that port is handled on that loop. The benchmark uses two
   * to measure two policies at the same time, each on a loop of its own. Call after
   * {@link #start}; {@link #close()} closes it.
   */
  public Future<LoopListener> listenOnOneLoop(String host) {
    java.util.Set<Integer> bound = java.util.concurrent.ConcurrentHashMap.newKeySet();
    Thread[] loop = new Thread[1];
    return vertx.deployVerticle(() -> new ServerVerticle(host, 0, bound, loop),
            new DeploymentOptions().setInstances(1))
        .map(id -> {
          deployments.add(id);
          return new LoopListener(bound.iterator().next(), loop[0]);
        });
  }

  /**
   * The graceful-shutdown path (SIGTERM): {@code /ready} and new generation requests answer 503
   * from now on, open requests run on for up to {@code server.drain_timeout_ms}, and the ones
   * still open then end with a {@code shutting_down} error. Completes when every open request's
   * response ended and its audit record was offered; the server still listens (call
   * {@link #close()} next). Idempotent.
   */
  public Future<DrainReport> drain() {
    return drain(drainTimeoutMs);
  }

  /** The configuration snapshot new requests get (for tests). */
  GatewayRuntime currentRuntime() {
    return runtime.get();
  }

  /**
   * Generation requests not over yet; one stays open from its arrival until its audit record was
   * offered, a moment after its client read the response's end.
   */
  int openRequests() {
    return drain.openCount();
  }

  /** {@link #drain()} with an explicit timeout; 0 ends the open requests at once. */
  public Future<DrainReport> drain(long timeoutMs) {
    return drain.start(timeoutMs);
  }

  public Future<Void> close() {
    if (healthTimer >= 0) {
      vertx.cancelTimer(healthTimer);
    }
    java.util.List<Future<Void>> undeployed = new java.util.ArrayList<>();
    for (String id : deployments) {
      undeployed.add(vertx.undeploy(id).otherwiseEmpty());
    }
    deployments.clear();
    return Future.join(undeployed).<Void>mapEmpty().onComplete(v -> {
      factory.close();
      state.close();
    });
  }

  private static int freePort(String host) {
    try (java.net.ServerSocket socket = new java.net.ServerSocket()) {
      socket.setReuseAddress(true);
      socket.bind(new java.net.InetSocketAddress(host, 0));
      return socket.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("no free port on " + host, e);
    }
  }

  /** One HTTP server on its own event loop. */
  private final class ServerVerticle extends VerticleBase {
    private final String host;
    private final int port;
    private final java.util.Set<Integer> bound;
    /** Where the instance's loop thread is written, or null. */
    private final Thread[] loop;

    ServerVerticle(String host, int port, java.util.Set<Integer> bound) {
      this(host, port, bound, null);
    }

    ServerVerticle(String host, int port, java.util.Set<Integer> bound, Thread[] loop) {
      this.host = host;
      this.port = port;
      this.bound = bound;
      this.loop = loop;
    }

    @Override
    public Future<?> start() {
      if (loop != null) {
        loop[0] = Thread.currentThread();
      }
      return vertx.createHttpServer(new HttpServerOptions()
              .setHost(host)
              .setPort(port)
              .setTcpNoDelay(true)
              .setCompressionSupported(false)
              .setIdleTimeout(0))
          .requestHandler(requestHandler(router()))
          .listen()
          .onSuccess(server -> bound.add(server.actualPort()));
    }
  }

  /**
   * The two generation endpoints without the router: a router dispatch (its routing context,
   * route matching, handler chain) cost 3% of a paced stream's CPU in the relay profile, for
   * two fixed paths. Everything else, and any other spelling of these paths, goes to the router.
   */
  io.vertx.core.Handler<HttpServerRequest> requestHandler(Router router) {
    return request -> {
      if (request.method() == HttpMethod.POST) {
        String path = request.path();
        boolean chat = "/v1/chat/completions".equals(path);
        if (chat || "/v1/completions".equals(path)) {
          try {
            generation(request, chat);
          } catch (RuntimeException e) {
            if (!request.response().ended()) {
              Errors.send(request.response(), Errors.from(e)); // as the router's 500 handler
            }
          }
          return;
        }
      }
      router.handle(request);
    };
  }

  Router router() {
    Router router = Router.router(vertx);
    router.get("/health").handler(rc -> json(rc.response(), 200, new JsonObject().put("status", "ok")));
    router.get("/ready").handler(this::ready);
    router.get("/metrics").handler(rc -> rc.response()
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(metrics.scrape()));
    router.get("/v1/models").handler(this::models);
    router.post("/v1/chat/completions").handler(rc -> generation(rc.request(), true));
    router.post("/v1/completions").handler(rc -> generation(rc.request(), false));
    router.route().last().handler(rc -> Errors.send(rc.response(), new OpenAiException(404,
        "invalid_request_error", "Unknown endpoint: " + rc.request().method() + " "
        + rc.request().path(), null, "unknown_url")));
    router.errorHandler(405, rc -> Errors.send(rc.response(), new OpenAiException(405,
        "invalid_request_error", "Method not allowed", null, "method_not_allowed")));
    router.errorHandler(500, rc -> Errors.send(rc.response(), Errors.from(rc.failure())));
    return router;
  }

  private void ready(RoutingContext rc) {
    if (drain.draining()) {
      rc.response().putHeader("Connection", "close");
      Errors.send(rc.response(), OpenAiException.notReady("The gateway is shutting down"));
      return;
    }
    GatewayRuntime rt = runtime.get();
    for (UpstreamRoute r : rt.routes()) {
      if (!upstreamHealthy.getOrDefault(r.baseUrl(), false)) {
        Errors.send(rc.response(), OpenAiException.notReady(
            "Upstream for route '" + r.label() + "' has not answered its health check"));
        return;
      }
    }
    json(rc.response(), 200, new JsonObject().put("status", "ready")
        .put("routes", rt.routes().size()));
  }

  private void checkUpstreams() {
    for (UpstreamRoute r : runtime.get().routes()) {
      RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
          .setAbsoluteURI(r.baseUrl() + r.config().healthPath())
          .setConnectTimeout(2_000).setIdleTimeout(2_000);
      r.call(c -> c.request(options)
              .compose(req -> req.send().compose(resp -> resp.body().map(b -> resp.statusCode()))))
          .onComplete(ar -> upstreamHealthy.put(r.baseUrl(), ar.succeeded() && ar.result() == 200));
    }
  }

  private void models(RoutingContext rc) {
    GatewayRuntime rt = runtime.get();
    HttpServerResponse response = rc.response();
    Tenant tenant;
    try {
      tenant = authenticate(rt, rc.request());
    } catch (OpenAiException e) {
      Errors.send(response, e);
      return;
    }
    Set<String> names = new LinkedHashSet<>();
    // a pattern's models, listed by its upstream (the lookups end on the route clients' contexts)
    java.util.List<Future<java.util.List<String>>> lookups = new java.util.ArrayList<>();
    for (UpstreamRoute r : rt.routes()) {
      String pattern = r.config().model();
      if (!pattern.contains("*")) {
        if (rt.tenants().modelAllowed(tenant, pattern)) {
          names.add(pattern);
        }
        continue;
      }
      RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET)
          .setAbsoluteURI(r.baseUrl() + "/v1/models").setIdleTimeout(5_000);
      if (r.apiKey() != null) {
        options.putHeader("Authorization", "Bearer " + r.apiKey());
      }
      lookups.add(r.call(c -> c.request(options)
              .compose(req -> req.send().compose(resp -> resp.body())))
          .map(body -> {
            JsonArray data = body.toJsonObject().getJsonArray("data", new JsonArray());
            java.util.List<String> listed = new java.util.ArrayList<>();
            for (int i = 0; i < data.size(); i++) {
              String id = data.getJsonObject(i).getString("id");
              if (id != null && r.config().matches(id) && rt.tenants().modelAllowed(tenant, id)) {
                listed.add(id);
              }
            }
            return listed;
          })
          .otherwise(java.util.List.of()));
    }
    io.vertx.core.Context here = vertx.getOrCreateContext();
    Future.join(lookups).onComplete(v -> here.runOnContext(x -> {
      lookups.forEach(f -> names.addAll(f.result()));
      JsonArray data = new JsonArray();
      long created = System.currentTimeMillis() / 1000;
      for (String name : names) {
        data.add(new JsonObject().put("id", name).put("object", "model").put("created", created)
            .put("owned_by", "thinkgate"));
      }
      json(response, 200, new JsonObject().put("object", "list").put("data", data));
    }));
  }

  private Tenant authenticate(GatewayRuntime rt, HttpServerRequest request) {
    String header = request.getHeader("Authorization");
    String key = null;
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      key = header.substring(7).trim();
    }
    Optional<Tenant> tenant = rt.tenants().authenticate(key);
    if (tenant.isEmpty()) {
      throw OpenAiException.unauthorized(key == null
          ? "Missing API key: send 'Authorization: Bearer <key>'"
          : "Incorrect API key provided");
    }
    return tenant.get();
  }

  private void generation(HttpServerRequest request, boolean chat) {
    long start = System.nanoTime();
    HttpServerResponse response = request.response();
    String path = chat ? "/v1/chat/completions" : "/v1/completions";
    String requestId = RequestIds.fromHeaderOrNew(request.getHeader("X-ThinkGate-Request-Id"));
    response.putHeader("X-ThinkGate-Request-Id", requestId);
    ShutdownDrain.OpenRequest open = drain.admit();
    if (open == null) {
      rejectDraining(response, path);
      return;
    }
    GatewayRuntime rt = runtime.get();
    GatewayConfig config = rt.config();
    Tenant tenant;
    try {
      tenant = authenticate(rt, request);
    } catch (OpenAiException e) {
      reject(response, e, path, open);
      return;
    }
    RequestReader.readBody(request, config.server().maxBodyBytes()).onComplete(ar -> {
      if (ar.failed()) {
        reject(response, Errors.from(ar.cause()), path, open);
        return;
      }
      RequestContext ctx;
      try {
        JsonObject body = RequestReader.parseJson(ar.result());
        RequestReader.validate(body, chat);
        String model = body.getString("model");
        UpstreamRoute route = rt.route(model).orElseThrow(() -> OpenAiException.notFound(
            "The model '" + model + "' does not exist or is not served by this gateway", "model"));
        if (!rt.tenants().modelAllowed(tenant, model)) {
          throw OpenAiException.forbidden("Your API key is not allowed to use the model '"
              + model + "'");
        }
        Policy policy = config.policies().getOrDefault(tenant.policy(), Policy.passthrough());
        ReasoningMode mode = requestedMode(policy, request.getHeader("X-ThinkGate-Reasoning"));
        boolean streaming = body.getBoolean("stream", false);
        // the client's bytes stay with the request only where the raw relay may forward them:
        // a long chat history is not held twice
        Buffer forwardable = ForwardedBody.applies(body) ? ar.result() : null;
        ctx = new RequestContext(requestId, tenant, policy, route, path, body, forwardable,
            streaming, model, RequestReader.userPrompt(body), mode, requestId, 0, start);
      } catch (OpenAiException e) {
        reject(response, e, path, open);
        return;
      } catch (RuntimeException e) {
        reject(response, Errors.from(e), path, open);
        return;
      }
      RequestContext admittedCtx = ctx;
      boolean judge = judgeResponse(request.getHeader(JUDGE_RESPONSE_HEADER));
      // Redis may be consulted: the limiter answers within its command timeout, never blocking
      admissions.acquire(tenant).onComplete(answer -> {
        Admission admission = answer.result();
        if (admission instanceof Admission.Rejected rejected) {
          response.putHeader("Retry-After", Long.toString(rejected.retryAfterSeconds()));
          reject(response, OpenAiException.rateLimited(rejected.message()), path, open);
          return;
        }
        if (response.closed() && admission instanceof Admission.Admitted left) {
          left.release(); // the client left while Redis answered
          drain.release(open);
          return;
        }
        run(admittedCtx, response, admission, open, judge);
      });
    });
  }

  /**
   * {@code X-ThinkGate-Judge-Response: true} on a non-stream request whose policy screens: the
   * response's {@code thinkgate.verdicts} also carries SafeChain's whole-response verdict
   * ({@code response}), judged before the response is sent (one more guard call, usually a
   * verdict-cache hit for the audit record). {@code thinkgate eval} sends it.
   */
  static final String JUDGE_RESPONSE_HEADER = "X-ThinkGate-Judge-Response";

  private static boolean judgeResponse(String header) {
    return header != null && (header.equalsIgnoreCase("true") || header.equals("1"));
  }

  private static ReasoningMode requestedMode(Policy policy, String header) {
    ReasoningMode base = policy.reasoning().mode();
    if (header == null || header.isBlank()) {
      return base;
    }
    String wanted = header.trim().toLowerCase(java.util.Locale.ROOT);
    ReasoningMode mode = ReasoningMode.fromWire(wanted);
    if (mode == null) {
      throw OpenAiException.badRequest("Unknown reasoning mode '" + header.trim()
          + "' in X-ThinkGate-Reasoning; one of passthrough, zerothink, lessthink, morethink,"
          + " budget, safety_template", "X-ThinkGate-Reasoning");
    }
    if (mode != base && !policy.reasoning().allowOverride().contains(mode)) {
      throw OpenAiException.badRequest("The policy '" + policy.name()
          + "' does not allow the reasoning mode '" + mode.wire() + "' (allowed: "
          + allowedModes(policy) + ")", "X-ThinkGate-Reasoning");
    }
    return mode;
  }

  private static String allowedModes(Policy policy) {
    Set<String> allowed = new LinkedHashSet<>();
    allowed.add(policy.reasoning().mode().wire());
    policy.reasoning().allowOverride().forEach(m -> allowed.add(m.wire()));
    return String.join(", ", allowed);
  }

  private void run(RequestContext ctx, HttpServerResponse response, Admission admission,
      ShutdownDrain.OpenRequest open, boolean judge) {
    Policy policy = ctx.policy();
    response.putHeader("X-ThinkGate-Policy", policy.name());
    response.putHeader("X-ThinkGate-Reasoning", ctx.mode().wire());
    FlowControl flow = new FlowControl();
    HttpStreamer streamer = new HttpStreamer(vertx, ctx.route(), metrics, flow);
    ClientDialectEncoder encoder =
        new ClientDialectEncoder(policy.clientDialect(), ctx.completionsApi());
    GenerationPipeline[] holder = new GenerationPipeline[1];
    ClientChannel channel = ctx.streaming()
        ? new SseChannel(response, encoder, flow, metrics, ctx.startNanos(),
            () -> holder[0].channelEnded())
        : new CollectingChannel(response, encoder, () -> holder[0].channelEnded());
    GenerationPipeline pipeline = new GenerationPipeline(ctx, services, channel, streamer, false,
        outcome -> finished(outcome, channel, admission, open, judge));
    holder[0] = pipeline;
    if (!drain.attach(open, pipeline, ctx.streaming())) {
      // the body was still being read when the drain timeout passed
      if (admission instanceof Admission.Admitted admitted) {
        admitted.release();
      }
      rejectDraining(response, ctx.path());
      drain.release(open);
      return;
    }
    if (ctx.streaming()) {
      metrics.streamOpened();
    }
    response.closeHandler(v -> pipeline.clientGone());
    // The input screen (conditional mode) or a restart may change the mode after start():
    // the header names the mode in effect when the headers go out.
    response.headersEndHandler(v ->
        response.putHeader("X-ThinkGate-Reasoning", pipeline.mode().wire()));
    pipeline.start();
  }

  private void finished(GenerationPipeline.Outcome outcome, ClientChannel channel,
      Admission admission, ShutdownDrain.OpenRequest open, boolean judge) {
    if (admission instanceof Admission.Admitted admitted) {
      admitted.release();
    }
    RequestContext ctx = outcome.ctx();
    if (channel instanceof SseChannel sse) {
      metrics.streamClosed(sse.chunks());
    }
    // Asked for by the client: judged once, for its response and for its audit record.
    Future<JsonObject> responseVerdict = null;
    if (channel instanceof CollectingChannel collecting) {
      JsonObject extension = ctx.policy().screening().anyEnabled()
          ? Outcomes.extension(outcome) : null;
      if (judge && extension != null && outcome.status() == 200) {
        responseVerdict = recorder.responseVerdict(outcome);
        responseVerdict.onComplete(ar -> {
          if (ar.result() != null) {
            extension.getJsonObject("verdicts").put(dev.thinkgate.audit.SafeChainVerdict.KEY,
                ar.result());
          }
          collecting.respond(extension, Outcomes.serverTiming(outcome));
        });
      } else {
        collecting.respond(extension, Outcomes.serverTiming(outcome));
      }
    }
    metrics.request(ctx.route().label(), ctx.completionsApi() ? "completions" : "chat",
        outcome.status());
    metrics.overhead((outcome.totalMs() - outcome.upstreamMs() - outcome.guardMs()) * 1_000_000);
    if (!"pass".equals(outcome.action())) {
      metrics.action(ctx.policy().name(), outcome.action());
    }
    drain.responded(open);
    recorder.record(outcome, responseVerdict).onComplete(v -> drain.release(open));
    if (LOG.isLoggable(Level.INFO)) {
      LOG.log(Level.INFO, Outcomes.logLine(outcome));
    }
  }

  /** Runs one headless generation for a Safe@K sample; completes with its outcome. */
  Future<GenerationPipeline.Outcome> backgroundSample(RequestContext ctx) {
    io.vertx.core.Promise<GenerationPipeline.Outcome> promise = io.vertx.core.Promise.promise();
    vertx.runOnContext(v -> {
      FlowControl flow = new FlowControl();
      HttpStreamer streamer = new HttpStreamer(vertx, ctx.route(), metrics, flow);
      GenerationPipeline[] holder = new GenerationPipeline[1];
      CollectingChannel channel = new CollectingChannel(null,
          new ClientDialectEncoder(Policy.ClientDialect.REASONING_CONTENT, ctx.completionsApi()),
          () -> holder[0].channelEnded());
      holder[0] = new GenerationPipeline(ctx, services, channel, streamer, true, promise::tryComplete);
      holder[0].start();
    });
    return promise.future();
  }

  private void reject(HttpServerResponse response, OpenAiException e, String path,
      ShutdownDrain.OpenRequest open) {
    reject(response, e, path);
    drain.release(open);
  }

  /** A new request while draining: 503, retry elsewhere, and do not reuse this connection. */
  private void rejectDraining(HttpServerResponse response, String path) {
    response.putHeader("Retry-After", "1").putHeader("Connection", "close");
    reject(response, ShutdownDrain.refusal(), path);
  }

  /** Answers a request refused before it reached a route (auth, body, validation, limits). */
  private void reject(HttpServerResponse response, OpenAiException e, String path) {
    if (e.status() == 413) {
      response.putHeader("Connection", "close");
    }
    Errors.send(response, e);
    metrics.request("-", path.endsWith("chat/completions") ? "chat" : "completions", e.status());
    if (LOG.isLoggable(Level.INFO)) {
      LOG.log(Level.INFO, "request id=" + response.headers().get("X-ThinkGate-Request-Id")
          + " status=" + e.status() + " error=" + e.code());
    }
  }

  private static void json(HttpServerResponse response, int status, JsonObject body) {
    response.setStatusCode(status).putHeader("Content-Type", "application/json").end(body.toBuffer());
  }
}
