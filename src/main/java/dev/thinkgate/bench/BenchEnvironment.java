package dev.thinkgate.bench;

import dev.thinkgate.audit.AuditRecord;
import dev.thinkgate.audit.AuditSink;
import dev.thinkgate.config.ApiKeyHash;
import dev.thinkgate.config.ConfigError;
import dev.thinkgate.config.ConfigLoader;
import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.config.GatewayConfig.AuditConfig;
import dev.thinkgate.config.GatewayConfig.GuardApi;
import dev.thinkgate.config.GatewayConfig.GuardConfig;
import dev.thinkgate.config.GatewayConfig.GuardFormat;
import dev.thinkgate.config.GatewayConfig.RouteConfig;
import dev.thinkgate.config.GatewayConfig.ServerConfig;
import dev.thinkgate.config.GatewayConfig.TenantConfig;
import dev.thinkgate.config.GatewayConfig.Timeouts;
import dev.thinkgate.config.GatewayConfig.UpstreamDialect;
import dev.thinkgate.config.LoadResult;
import dev.thinkgate.emulator.EmulatedGuardServer;
import dev.thinkgate.emulator.EmulatedModelServer;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.Script;
import dev.thinkgate.metrics.GatewayMetrics;
import dev.thinkgate.policy.Policy;
import dev.thinkgate.proxy.GatewayServer;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Everything the benchmark talks to, in this JVM on 127.0.0.1: the emulated model (unpaced) and a
 * paced copy, the emulated guard and a {@link StallingGuardFront} before it, all on one Vert.x
 * instance; the real {@link GatewayServer} on its own Vert.x instance with Micrometer metrics as
 * {@code thinkgate serve} runs it; one tenant per benchmark policy (key {@code bench-<policy>}).
 */
final class BenchEnvironment implements AutoCloseable {
  static final String MODEL = ModelEmulatorOptions.DEFAULT_MODEL;
  /** The paced emulator's model name (a second route). */
  static final String PACED_MODEL = "bench-paced-model";
  /** In a user prompt: the emulated model thinks {@link #harmfulThought}. */
  static final String HARMFUL_TAG = "bench-harmful-thought";
  /** In a user prompt: the stalling front never answers that stream's guard calls. */
  static final String GUARD_STALL_TAG = "bench-guard-stall";
  /** The unsafe phrase of the harmful thought (lexicon category S2). */
  static final String HARMFUL_PHRASE = "hack into";
  /** Safe words before the harmful phrase; the first checkpoint falls after it. */
  static final int HARMFUL_AT_WORD = 40;
  static final int HARMFUL_THOUGHT_WORDS = 256;
  /** Decoding speed of the paced emulator when {@code --tokens-per-second} is 0. */
  static final int DEFAULT_PACED_TOKENS_PER_SECOND = 100;
  static final long GUARD_TIMEOUT_MS = 30_000;

  final Vertx backend;
  final Vertx gatewayVertx;
  final EmulatedModelServer model;
  final EmulatedModelServer pacedModel;
  final EmulatedGuardServer guard;
  final StallingGuardFront front;
  final GatewayServer gateway;
  final AuditCapture audit = new AuditCapture();
  /** The gateway's metrics (its guards count their calls here). */
  final GatewayMetrics metrics;
  final GuardConfig guardConfig;
  /** The paced emulator's speed, tokens per second per stream. */
  final double pacedTokensPerSecond;
  private final String modelUrl;
  private final String pacedModelUrl;
  private final String gatewayUrl;
  private List<GatewayServer.LoopListener> loopListeners;

  private BenchEnvironment(BenchOptions options) {
    // The emulators on epoll too: on NIO the paced model's loop made ~26,000 epoll_wait calls a
    // second, CPU taken from the two cores the gateway under test runs on.
    backend = Vertx.vertx(new VertxOptions().setPreferNativeTransport(true));
    metrics = new GatewayMetrics();
    gatewayVertx = Vertx.builder()
        .with(new VertxOptions().setPreferNativeTransport(true) // epoll where available (Linux)
            .setMetricsOptions(new MicrometerMetricsOptions().setEnabled(true)))
        .withMetrics(new MicrometerMetricsFactory(metrics.registry()))
        .build();
    pacedTokensPerSecond = options.tokensPerSecond() > 0 ? options.tokensPerSecond()
        : DEFAULT_PACED_TOKENS_PER_SECOND;
    ModelEmulatorOptions unpaced = ModelEmulatorOptions.builder()
        .scriptOverride(BenchEnvironment::harmfulScript)
        .build();
    model = new EmulatedModelServer(backend, unpaced);
    int modelPort = model.start("127.0.0.1", 0).await();
    pacedModel = new EmulatedModelServer(backend, unpaced.toBuilder()
        .modelName(PACED_MODEL).tokensPerSecond(pacedTokensPerSecond).build());
    int pacedPort = pacedModel.start("127.0.0.1", 0).await();
    pacedModelUrl = "http://127.0.0.1:" + pacedPort;
    guard = new EmulatedGuardServer(backend,
        GuardEmulatorOptions.defaults().withLatency(options.guardLatencyMs(), 0));
    int guardPort = guard.start("127.0.0.1", 0).await();
    front = new StallingGuardFront(backend, "http://127.0.0.1:" + guardPort, GUARD_STALL_TAG);
    int frontPort = front.start().await();
    modelUrl = "http://127.0.0.1:" + modelPort;

    // Pool and queue sized for 256+ concurrent screened streams; cache on, but every benchmark
    // prompt is unique, so the cache never answers.
    guardConfig = new GuardConfig("default", "http://127.0.0.1:" + guardPort,
        GuardFormat.LLAMA_GUARD_3, null, GuardApi.COMPLETIONS, null, GUARD_TIMEOUT_MS, 256, 4096,
        5, 10_000, 100_000, 3_600_000);
    GuardConfig stallable = new GuardConfig("stallable", "http://127.0.0.1:" + frontPort,
        GuardFormat.LLAMA_GUARD_3, null, GuardApi.COMPLETIONS, null, GUARD_TIMEOUT_MS, 256, 4096,
        1_000, 10_000, 100_000, 3_600_000);
    Timeouts timeouts = new Timeouts(5_000, 60_000, 120_000, 600_000);
    List<RouteConfig> routes = List.of(
        new RouteConfig(PACED_MODEL, "http://127.0.0.1:" + pacedPort, UpstreamDialect.VLLM, null,
            null, "deepseek-r1", false, false, timeouts, "/health"),
        new RouteConfig(MODEL, modelUrl, UpstreamDialect.VLLM, null, null, "deepseek-r1", false,
            false, timeouts, "/health"));
    Map<String, String> policyYaml =
        BenchPolicies.yaml(options.thinkTokens(), options.answerTokens());
    List<TenantConfig> tenants = new ArrayList<>();
    for (String policy : policyYaml.keySet()) {
      tenants.add(new TenantConfig("bench-" + policy, List.of(ApiKeyHash.of(key(policy))), policy,
          List.of("*"), 0, 0));
    }
    ConfigLoader loader = new ConfigLoader(name -> null);
    List<ConfigError> errors = new ArrayList<>();
    Map<String, Policy> policies = new HashMap<>();
    policyYaml.forEach((name, yaml) -> {
      Policy p = loader.policyLoader().parse(name, yaml, "bench:" + name + ".yaml", errors);
      if (p != null) {
        policies.put(name, p);
      }
    });
    if (!errors.isEmpty()) {
      throw new IllegalStateException("benchmark policies invalid: " + errors);
    }
    ServerConfig server = new ServerConfig("127.0.0.1", 0, 0, null,
        ServerConfig.DEFAULT.maxBodyBytes(), 600_000, false);
    GatewayConfig base = new GatewayConfig(server, routes,
        Map.of("default", guardConfig, "stallable", stallable), tenants, AuditConfig.NONE,
        policies);
    LoadResult loaded = loader.withPolicies(base, null);
    if (!loaded.ok()) {
      throw new IllegalStateException("benchmark config invalid: " + loaded.errors());
    }
    gateway = new GatewayServer(gatewayVertx, loaded.config(), metrics, name -> null,
        BenchPolicies.PASSTHROUGH, audit, System::currentTimeMillis);
    gatewayUrl = "http://127.0.0.1:" + gateway.start("127.0.0.1", 0).await();
  }

  /**
   * CPU of one gateway event loop per guard call made alone: the bench's guard (as the gateway
   * builds it: verdict cache, pooled HTTP/1.1 client) called from that loop once a millisecond
   * with a new prompt, {@code calls} calls after {@code warmUp} unmeasured ones, the loop's CPU
   * from the first measured call to the last reply divided by {@code calls}. Each call here
   * wakes the loop twice (the timer that starts it, its reply); inside a relayed stream it
   * starts in the wake-up that relays the chunk that reached its checkpoint.
   */
  double guardCallAloneMicros(int warmUp, int calls) {
    io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    dev.thinkgate.guard.Guard alone = dev.thinkgate.guard.Guards.create(guardConfig, gatewayVertx,
        registry, name -> null, () -> null, new dev.thinkgate.state.StateErrors(registry),
        (url, authorization, connectMs) -> new dev.thinkgate.proxy.PooledHttp1Client(gatewayVertx,
            url, connectMs, authorization));
    String thought = "Let me think about this step by step, and check each part of it. ".repeat(6);
    return loopCpuPerTick("guard calls alone", warmUp, calls, (n, done) ->
        alone.judge(new dev.thinkgate.guard.GuardRequest("How do I bake bread?",
            thought + n + " " + System.nanoTime(), List.of())).onComplete(ar -> done.run()));
  }

  /**
   * CPU of one gateway event loop per wake-up that does nothing: the loop woken by a 1 ms timer,
   * {@code ticks} times after {@code warmUp}, as {@link #guardCallAloneMicros} wakes it to start
   * each call. What a guard call alone costs above this is the call's own work, its reply's
   * wake-up included.
   */
  double loopWakeUpAloneMicros(int warmUp, int ticks) {
    return loopCpuPerTick("loop wake-ups alone", warmUp, ticks, (n, done) -> done.run());
  }

  /**
   * Runs {@code work} on one gateway event loop once a millisecond, {@code measured} times after
   * {@code warmUp} unmeasured ones: the loop's CPU from the first measured start to the last
   * {@code done}, divided by {@code measured}, in microseconds.
   */
  private double loopCpuPerTick(String what, int warmUp, int measured,
      java.util.function.BiConsumer<Integer, Runnable> work) {
    io.vertx.core.Context loop = gatewayVertx.getOrCreateContext();
    java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
    java.util.concurrent.CompletableFuture<Double> result = new java.util.concurrent.CompletableFuture<>();
    loop.runOnContext(v -> new Object() {
      final long thread = Thread.currentThread().getId();
      int started;
      int finished;
      long cpuStart;

      void next() {
        if (started == warmUp) {
          cpuStart = mx.getThreadCpuTime(thread);
        }
        int n = started++;
        work.accept(n, () -> {
          if (++finished == warmUp + measured) {
            result.complete((mx.getThreadCpuTime(thread) - cpuStart) / 1e3 / measured);
          }
        });
        if (started < warmUp + measured) {
          gatewayVertx.setTimer(1, id -> next());
        }
      }
    }.next());
    try {
      return result.get(2L * (warmUp + measured) + 60_000, java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(what + " did not finish", e);
    }
  }

  /** Guard calls the gateway finished so far, every guard and outcome. */
  long guardCalls() {
    return Math.round(metrics.registry().find("thinkgate.guard.calls").counters().stream()
        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum());
  }

  /** HTTP requests the gateway sent its guards so far (a batch of verdicts is one). */
  long guardRequests() {
    return Math.round(metrics.registry().find("thinkgate.guard.requests").counters().stream()
        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum());
  }

  /** How long the gateway's guard calls must stay still before a round counts as over. */
  private static final long GUARDS_QUIET_NANOS = 50_000_000;

  /**
   * Waits, at most {@code timeout}, until the gateway's guard calls are over: none in flight and
   * none finished for 50 ms. A stream's last call (the audit's whole-response verdict) ends after
   * its client read {@code [DONE]}; its CPU and its count belong to the round that made it, not
   * to the next target's. It starts in the event-loop task after the span's last verdict, so a
   * single look at the in-flight gauge could fall between the two and let it leak.
   */
  void awaitGuardsIdle(java.time.Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    long calls = guardCalls();
    long stillSince = System.nanoTime();
    while (System.nanoTime() < deadline) {
      long now = guardCalls();
      if (now != calls || guardsInFlight() > 0) {
        calls = now;
        stillSince = System.nanoTime();
      } else if (System.nanoTime() - stillSince >= GUARDS_QUIET_NANOS) {
        return;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private double guardsInFlight() {
    return metrics.registry().find("thinkgate.guard.inflight").gauges().stream()
        .mapToDouble(io.micrometer.core.instrument.Gauge::value).sum();
  }

  /** Drops the emulators' request logs (they keep a copy of every body). */
  void forgetRequests() {
    model.clearRequests();
    pacedModel.clearRequests();
    guard.clearRequests();
  }

  static BenchEnvironment start(BenchOptions options) {
    return new BenchEnvironment(options);
  }

  static String key(String policy) {
    return "bench-" + policy;
  }

  Target direct() {
    return new Target("direct", modelUrl, null, MODEL);
  }

  Target directPaced() {
    return new Target("direct" + pace(), pacedModelUrl, null, PACED_MODEL);
  }

  Target gateway(String policy) {
    return new Target("gateway/" + policy, gatewayUrl, key(policy), MODEL);
  }

  /** The paced model's base URL (what a reverse proxy in front of it points to). */
  String pacedModelUrl() {
    return pacedModelUrl;
  }

  /**
   * The gateway's event-loop threads, found by running a task on each of its loops: their CPU
   * time is the gateway's cost (the client and the emulators run on other Vert.x instances).
   */
  java.util.Set<Thread> gatewayThreads() {
    java.util.Set<Thread> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
    // getOrCreateContext() from one outside thread returns one context; ask every loop instead
    io.netty.channel.EventLoopGroup group =
        ((io.vertx.core.internal.VertxInternal) gatewayVertx).nettyEventLoopGroup();
    List<java.util.concurrent.CompletableFuture<Void>> done = new ArrayList<>();
    for (io.netty.util.concurrent.EventExecutor loop : group) {
      java.util.concurrent.CompletableFuture<Void> f = new java.util.concurrent.CompletableFuture<>();
      loop.execute(() -> {
        threads.add(Thread.currentThread());
        f.complete(null);
      });
      done.add(f);
    }
    done.forEach(java.util.concurrent.CompletableFuture::join);
    return threads;
  }

  Target gatewayPaced(String policy) {
    return new Target("gateway/" + policy + pace(), gatewayUrl, key(policy), PACED_MODEL);
  }

  /**
   * Two more gateway listeners, each served by an event loop of its own, and not the same one:
   * where the relay's paired rounds send their two targets at the same time. Made once.
   */
  synchronized List<GatewayServer.LoopListener> loopListeners() {
    if (loopListeners == null) {
      List<GatewayServer.LoopListener> made = new ArrayList<>();
      // each deployment takes the loop group's next loop; a group of one loop cannot pair
      for (int tries = 0; tries < 8 && made.size() < 2; tries++) {
        GatewayServer.LoopListener l = gateway.listenOnOneLoop("127.0.0.1").await();
        if (made.isEmpty() || made.get(0).loop() != l.loop()) {
          made.add(l);
        }
      }
      if (made.size() < 2) {
        throw new IllegalStateException("no two distinct gateway event loops to pair targets on");
      }
      loopListeners = List.copyOf(made);
    }
    return loopListeners;
  }

  /** {@link #gatewayPaced}, sent to the listener {@code at} (so served by its loop alone). */
  Target gatewayPacedAt(String policy, GatewayServer.LoopListener at) {
    return new Target("gateway/" + policy + pace() + "@" + at.loop().getName(),
        "http://127.0.0.1:" + at.port(), key(policy), PACED_MODEL);
  }

  private String pace() {
    return String.format(java.util.Locale.ROOT, "@%.0ftok/s", pacedTokensPerSecond);
  }

  /** The thought with {@link #HARMFUL_PHRASE} after {@link #HARMFUL_AT_WORD} safe words. */
  static String harmfulThought() {
    StringBuilder text = new StringBuilder();
    for (int i = 0; i < HARMFUL_AT_WORD; i++) {
      text.append("okay").append(' ');
    }
    text.append("then I would ").append(HARMFUL_PHRASE).append(" the server");
    int words = HARMFUL_AT_WORD + 3 + HARMFUL_PHRASE.split(" ").length;
    for (int i = words; i < HARMFUL_THOUGHT_WORDS; i++) {
      text.append(' ').append("hmm");
    }
    return text.toString();
  }

  private static Script harmfulScript(JsonObject body) {
    if (!(body.getValue("messages") instanceof JsonArray messages)) {
      return null;
    }
    for (Object m : messages) {
      if (m instanceof JsonObject message && "user".equals(message.getString("role"))
          && message.getValue("content") instanceof String content
          && content.contains(HARMFUL_TAG)) {
        return Script.of(harmfulThought(), "I cannot help with that.");
      }
    }
    return null;
  }

  @Override
  public void close() {
    try {
      gateway.close().await();
    } finally {
      gatewayVertx.close().await();
      front.close().await();
      backend.close().await();
    }
  }

  /** Keeps the audit records of the screening policies (they sample every request). */
  static final class AuditCapture implements AuditSink {
    private final ConcurrentLinkedQueue<AuditRecord> records = new ConcurrentLinkedQueue<>();

    @Override
    public boolean offer(AuditRecord record) {
      records.add(record);
      return true;
    }

    List<AuditRecord> drain() {
      List<AuditRecord> out = new ArrayList<>();
      AuditRecord r;
      while ((r = records.poll()) != null) {
        out.add(r);
      }
      return out;
    }

    @Override
    public void close() {
      records.clear();
    }
  }
}
