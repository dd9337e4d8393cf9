package dev.thinkgate.cli;

import dev.thinkgate.emulator.EmulatedDialect;
import dev.thinkgate.emulator.EmulatedGuardServer;
import dev.thinkgate.emulator.EmulatedModelServer;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.ServerProfile;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code thinkgate emulate model|guard}: run an emulated upstream until Ctrl-C. */
@Command(
    name = "emulate",
    mixinStandardHelpOptions = true,
    description = "Run an emulated reasoning-model server or Llama Guard server (no GPU).",
    subcommands = {EmulateCommand.Model.class, EmulateCommand.Guard.class})
public final class EmulateCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  /** {@code thinkgate emulate model}. */
  @Command(name = "model", mixinStandardHelpOptions = true,
      description = "Emulated vLLM OpenAI server in front of a reasoning model.")
  static final class Model implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Listen address.")
    String host;

    @Option(names = "--port", defaultValue = "8000", description = "Listen port (0 = any free).")
    int port;

    @Option(names = "--dialect",
        description = "reasoning_content | reasoning | both | think_tags | think_tags_no_open"
            + " (default: the --server's fields, else reasoning_content)")
    String dialect;

    @Option(names = "--server",
        description = "Imitate vllm-0.11 | vllm-0.16 | sglang: prompt rendering, 400s, /tokenize,"
            + " streaming quirks (default: none, the template-less emulator).")
    String server;

    @Option(names = "--template",
        description = "Render prompts with the published chat template deepseek-r1 | qwen3 | qwq"
            + " (needs --server).")
    String template;

    @Option(names = "--tokens-per-second", defaultValue = "0",
        description = "Generation pace; 0 = as fast as the client reads.")
    double tokensPerSecond;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of every random choice.")
    long seed;

    @Option(names = "--model", defaultValue = ModelEmulatorOptions.DEFAULT_MODEL,
        description = "Served model name.")
    String model;

    @Override
    public Integer call() throws InterruptedException {
      ModelEmulatorOptions options;
      try {
        options = options();
      } catch (IllegalArgumentException e) {
        System.err.println("thinkgate emulate model: " + e.getMessage());
        return 2;
      }
      return runUntilInterrupted(host, vertx -> {
        EmulatedModelServer server = new EmulatedModelServer(vertx, options);
        return server.start(host, port).map(p -> new Running(p, server::close));
      }, "emulated model " + model
          + (server == null ? "" : " (" + server + (template == null ? "" : ", " + template) + ")"));
    }

    /** The emulator's options from the flags; IllegalArgumentException names the bad flag. */
    ModelEmulatorOptions options() {
      ServerProfile profile = server == null ? null : ServerProfile.fromWire(server);
      if (template != null && profile == null) {
        throw new IllegalArgumentException("--template needs --server");
      }
      EmulatedDialect fields = dialect != null ? EmulatedDialect.fromWire(dialect)
          : profile != null ? profile.defaultDialect() : EmulatedDialect.REASONING_CONTENT;
      return ModelEmulatorOptions.builder()
          .reasoningDialect(fields)
          .tokensPerSecond(tokensPerSecond)
          .seed(seed)
          .modelName(model)
          .serverProfile(profile)
          .template(template)
          .build();
    }
  }

  /** {@code thinkgate emulate guard}. */
  @Command(name = "guard", mixinStandardHelpOptions = true,
      description = "Emulated vLLM server hosting Llama Guard (or Qwen3Guard, by model name).")
  static final class Guard implements Callable<Integer> {
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Listen address.")
    String host;

    @Option(names = "--port", defaultValue = "8001", description = "Listen port (0 = any free).")
    int port;

    @Option(names = "--latency-ms", defaultValue = "0", description = "Base answer delay.")
    long latencyMs;

    @Option(names = "--jitter-ms", defaultValue = "0", description = "Extra random delay.")
    long jitterMs;

    @Option(names = "--error-rate", defaultValue = "0", description = "Probability of HTTP 500.")
    double errorRate;

    @Option(names = "--seed", defaultValue = "0", description = "Seed of latency and faults.")
    long seed;

    @Override
    public Integer call() throws InterruptedException {
      GuardEmulatorOptions options = GuardEmulatorOptions.defaults()
          .withLatency(latencyMs, jitterMs)
          .withErrorRate(errorRate)
          .withSeed(seed);
      return runUntilInterrupted(host, vertx -> {
        EmulatedGuardServer server = new EmulatedGuardServer(vertx, options);
        return server.start(host, port).map(p -> new Running(p, server::close));
      }, "emulated guard");
    }
  }

  private record Running(int port, java.util.function.Supplier<Future<Void>> close) {}

  private static int runUntilInterrupted(
      String host, Function<Vertx, Future<Running>> starter, String what)
      throws InterruptedException {
    Vertx vertx = Vertx.vertx();
    Running running;
    try {
      running = starter.apply(vertx).toCompletionStage().toCompletableFuture()
          .get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("thinkgate emulate: cannot start " + what + ": "
          + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()));
      vertx.close();
      return 1;
    }
    System.out.println(what + " listening on http://" + host + ":" + running.port() + "/v1");
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      running.close().get().eventually(() -> vertx.close())
          .onComplete(ar -> stopped.countDown());
      try {
        stopped.await(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "thinkgate-emulate-shutdown"));
    stopped.await();
    return 0;
  }
}
