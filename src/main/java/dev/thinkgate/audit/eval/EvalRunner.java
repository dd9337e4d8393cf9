package dev.thinkgate.audit.eval;

import dev.thinkgate.audit.AuditReader;
import dev.thinkgate.audit.AuditRecord;
import dev.thinkgate.audit.ProgressBar;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a prompt set through a ThinkGate gateway K times per reasoning mode and writes one audit
 * record per sample into {@code DIR/eval-*.jsonl} (DESIGN §9).
 *
 * <p>Each sample is a non-stream {@code POST /v1/chat/completions} with
 * {@code X-ThinkGate-Reasoning: <mode>}; the verdicts come from the response's {@code thinkgate}
 * object (a policy with shadow screening returns them without altering the answer). Group =
 * the first 16 hex digits of SHA-256 of prompt and mode, sample = 0..K−1. Requests run on
 * {@code concurrency} worker threads; 429, 5xx and I/O errors are retried with doubling backoff
 * (honouring {@code Retry-After}) up to {@code maxAttempts}; any other 4xx stops the run, since
 * every later request would fail the same way. Each record is appended and flushed as one line,
 * and a new run first reads DIR and skips (group, sample) pairs already there, so an interrupted
 * run resumes where it stopped.
 */
public final class EvalRunner {

  /** How a run ended. */
  public record Outcome(int planned, int alreadyDone, int written, int failed,
      int withoutVerdicts, Path file, String fatalError) {}

  private static final DateTimeFormatter FILE_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC);
  private static final Pattern SERVER_TIMING =
      Pattern.compile("([A-Za-z0-9_-]+)\\s*;[^,]*?dur=([0-9.]+)");
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  private final EvalOptions options;
  private final HttpClient http;
  private final Clock clock;
  private final PrintStream err;
  private final Function<Integer, ProgressBar> progress;

  /**
   * @param progress makes the progress bar for the number of samples to run
   */
  public EvalRunner(EvalOptions options, HttpClient http, Clock clock, PrintStream err,
      Function<Integer, ProgressBar> progress) {
    this.options = options;
    this.http = http;
    this.clock = clock;
    this.err = err;
    this.progress = progress;
  }

  /** One sample to produce. */
  record Task(String prompt, String mode, String group, int sample) {}

  public Outcome run() throws IOException, InterruptedException {
    List<String> prompts = readPrompts(options.prompts(), options.field(), options.limit());
    Files.createDirectories(options.outDir());
    Set<String> done = alreadyDone(options.outDir());
    List<Task> tasks = new ArrayList<>();
    int planned = 0;
    for (String prompt : prompts) {
      for (String mode : options.modes()) {
        String group = group(prompt, mode);
        for (int sample = 0; sample < options.k(); sample++) {
          planned++;
          if (!done.contains(group + "#" + sample)) {
            tasks.add(new Task(prompt, mode, group, sample));
          }
        }
      }
    }
    int alreadyDone = planned - tasks.size();
    if (tasks.isEmpty()) {
      return new Outcome(planned, alreadyDone, 0, 0, 0, null, null);
    }
    Path file = newFile(options.outDir());
    AtomicInteger written = new AtomicInteger();
    AtomicInteger failed = new AtomicInteger();
    AtomicInteger withoutVerdicts = new AtomicInteger();
    AtomicReference<String> fatal = new AtomicReference<>();
    ExecutorService workers = Executors.newFixedThreadPool(options.concurrency(), r -> {
      Thread t = new Thread(r, "thinkgate-eval");
      t.setDaemon(true);
      return t;
    });
    try (BufferedWriter out = Files.newBufferedWriter(file, StandardCharsets.UTF_8,
            StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        ProgressBar bar = progress.apply(tasks.size())) {
      List<Future<?>> futures = new ArrayList<>();
      for (Task task : tasks) {
        futures.add(workers.submit(() -> {
          if (fatal.get() != null) {
            return;
          }
          try {
            AuditRecord record = runTask(task);
            if (record.verdicts() == null) {
              withoutVerdicts.incrementAndGet();
            }
            String line = record.toJson().encode() + "\n";
            synchronized (out) {
              out.write(line);
              out.flush();
            }
            written.incrementAndGet();
          } catch (FatalResponse e) {
            fatal.compareAndSet(null, e.getMessage());
          } catch (IOException | RuntimeException e) {
            failed.incrementAndGet();
            err.println("\nwarning: sample " + task.sample() + " of group " + task.group()
                + " (" + task.mode() + ") failed: " + e.getMessage());
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          bar.advance(1);
        }));
      }
      for (Future<?> f : futures) {
        try {
          f.get();
        } catch (java.util.concurrent.ExecutionException e) {
          throw new IllegalStateException("eval worker failed", e.getCause());
        }
      }
    } finally {
      workers.shutdownNow();
    }
    if (written.get() == 0) {
      Files.deleteIfExists(file);
    }
    return new Outcome(planned, alreadyDone, written.get(), failed.get(), withoutVerdicts.get(),
        file, fatal.get());
  }

  private AuditRecord runTask(Task task) throws IOException, InterruptedException {
    JsonObject body = new JsonObject()
        .put("model", options.model())
        .put("messages", new JsonArray().add(
            new JsonObject().put("role", "user").put("content", task.prompt())))
        .put("temperature", options.temperature())
        .put("top_p", options.topP())
        .put("stream", false);
    if (options.maxTokens() != null) {
      body.put("max_tokens", options.maxTokens());
    }
    HttpRequest request = HttpRequest.newBuilder(endpoint())
        .timeout(options.requestTimeout())
        .header("Content-Type", "application/json")
        .header("Authorization", "Bearer " + options.apiKey())
        .header("X-ThinkGate-Reasoning", task.mode())
        // SafeChain's whole-response verdict in thinkgate.verdicts.response: the default basis
        // of the report, as for audit records
        .header("X-ThinkGate-Judge-Response", "true")
        .POST(HttpRequest.BodyPublishers.ofString(body.encode()))
        .build();
    long start = System.nanoTime();
    HttpResponse<String> response = send(request);
    long totalMs = (System.nanoTime() - start) / 1_000_000;
    JsonObject json;
    try {
      json = new JsonObject(response.body());
    } catch (DecodeException e) {
      throw new IOException("response is not JSON");
    }
    return toRecord(task, body, json, totalMs,
        response.headers().firstValue("Server-Timing").orElse(null));
  }

  private URI endpoint() {
    String base = options.baseUrl().toString();
    return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base)
        + "/v1/chat/completions");
  }

  private HttpResponse<String> send(HttpRequest request)
      throws IOException, InterruptedException {
    Duration backoff = options.retryBase();
    for (int attempt = 1; ; attempt++) {
      String problem;
      Duration wait = backoff;
      try {
        HttpResponse<String> response =
            http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        int status = response.statusCode();
        if (status / 100 == 2) {
          return response;
        }
        problem = "HTTP " + status + errorMessage(response.body());
        if (status != 429 && status != 408 && status < 500) {
          throw new FatalResponse("gateway answered " + problem);
        }
        wait = retryAfter(response).orElse(backoff);
      } catch (IOException e) {
        if (e instanceof FatalResponse) {
          throw e;
        }
        problem = e.getClass().getSimpleName()
            + (e.getMessage() == null ? "" : ": " + e.getMessage());
      }
      if (attempt >= options.maxAttempts()) {
        throw new IOException(problem + " after " + attempt + " attempts");
      }
      // Jitter spreads the retries of concurrent workers hit by the same overload.
      long jitter = ThreadLocalRandom.current().nextLong(Math.max(1, wait.toMillis() / 4 + 1));
      Thread.sleep(Math.min(MAX_BACKOFF.toMillis(), wait.toMillis()) + jitter);
      backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF
          : backoff.multipliedBy(2);
    }
  }

  private static java.util.Optional<Duration> retryAfter(HttpResponse<String> response) {
    return response.headers().firstValue("Retry-After").flatMap(v -> {
      try {
        return java.util.Optional.of(Duration.ofSeconds(Long.parseLong(v.trim())));
      } catch (NumberFormatException e) {
        return java.util.Optional.empty();
      }
    });
  }

  private static String errorMessage(String body) {
    try {
      JsonObject error = new JsonObject(body).getJsonObject("error");
      return error == null || error.getString("message") == null ? ""
          : ": " + error.getString("message");
    } catch (RuntimeException e) {
      return "";
    }
  }

  AuditRecord toRecord(Task task, JsonObject sent, JsonObject response, long totalMs,
      String serverTiming) {
    JsonObject choice = response.getJsonArray("choices", new JsonArray()).size() > 0
        ? response.getJsonArray("choices").getJsonObject(0) : new JsonObject();
    JsonObject message = choice.getJsonObject("message", new JsonObject());
    String thinking = message.getString("reasoning_content");
    if (thinking == null) {
      thinking = message.getString("reasoning");
    }
    JsonObject gate = response.getJsonObject("thinkgate", new JsonObject());
    JsonObject params = new JsonObject()
        .put("temperature", sent.getValue("temperature"))
        .put("top_p", sent.getValue("top_p"));
    if (sent.containsKey("max_tokens")) {
      params.put("max_tokens", sent.getValue("max_tokens"));
    }
    JsonObject timing = new JsonObject().put("total_ms", totalMs);
    if (serverTiming != null) {
      Matcher m = SERVER_TIMING.matcher(serverTiming);
      while (m.find()) {
        timing.put(m.group(1) + "_ms", Math.round(Double.parseDouble(m.group(2))));
      }
    }
    return new AuditRecord(
        gate.getString("request_id", UUID.randomUUID().toString()),
        clock.instant().toString(), null, gate.getString("policy"),
        response.getString("model", options.model()), task.mode(), task.group(), task.sample(),
        params, task.prompt(), thinking, message.getString("content"),
        gate.getJsonObject("verdicts"), gate.getString("action"), gate.getString("shadow_action"),
        choice.getString("finish_reason"), response.getJsonObject("usage"), timing);
  }

  /** First 16 hex digits of SHA-256 of the prompt and the mode. */
  public static String group(String prompt, String mode) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256")
          .digest((mode + "\u0000" + prompt).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }

  /** The prompt sets shipped inside the jar, by the names {@code --prompts} accepts for them. */
  static final List<String> BUILT_IN_PROMPT_SETS = List.of("advbench-sub", "xstest-safe");

  /**
   * The lines of {@code file}; when no such file exists and it names a shipped set
   * ({@code advbench-sub}, {@code advbench-sub.jsonl} or {@code data/advbench-sub.jsonl}), the
   * copy inside the jar, so the README's commands work from any directory.
   */
  static List<String> promptLines(Path file) throws IOException {
    if (Files.exists(file)) {
      return Files.readAllLines(file, StandardCharsets.UTF_8);
    }
    String name = file.toString().replace('\\', '/');
    if (name.startsWith("data/")) {
      name = name.substring("data/".length());
    }
    if (name.endsWith(".jsonl")) {
      name = name.substring(0, name.length() - ".jsonl".length());
    }
    if (BUILT_IN_PROMPT_SETS.contains(name)) {
      try (java.io.InputStream in =
          EvalRunner.class.getClassLoader().getResourceAsStream("data/" + name + ".jsonl")) {
        if (in != null) {
          return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
      }
    }
    throw new java.nio.file.NoSuchFileException(file + " (no such file, and not a built-in prompt set;"
        + " built-in: " + String.join(", ", BUILT_IN_PROMPT_SETS) + ")");
  }

  static List<String> readPrompts(Path file, String field, Integer limit) throws IOException {
    List<String> prompts = new ArrayList<>();
    int lineNo = 0;
    for (String line : promptLines(file)) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      if (limit != null && prompts.size() >= limit) {
        break;
      }
      Object value;
      try {
        value = new JsonObject(line).getValue(field);
      } catch (DecodeException e) {
        throw new IOException(file + ":" + lineNo + ": not a JSON object");
      }
      if (!(value instanceof String text) || text.isBlank()) {
        throw new IOException(file + ":" + lineNo + ": no string field '" + field + "'");
      }
      prompts.add(text);
    }
    return prompts;
  }

  private Set<String> alreadyDone(Path dir) throws IOException {
    Set<String> done = new HashSet<>();
    AuditReader reader = new AuditReader(err, total -> new ProgressBar("", total,
        ProgressBar.Unit.BYTES, err, false, System::nanoTime));
    try {
      reader.read(List.of(dir), record -> {
        if (record.getValue("group") instanceof String g
            && record.getValue("sample") instanceof Number n) {
          done.add(g + "#" + n.intValue());
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    return done;
  }

  private Path newFile(Path dir) {
    String stamp = FILE_TIME.format(clock.instant());
    for (int seq = 0; ; seq++) {
      Path candidate = dir.resolve("eval-" + stamp + (seq == 0 ? "" : "-" + seq) + ".jsonl");
      if (!Files.exists(candidate)) {
        return candidate;
      }
    }
  }

  /** A response that retrying cannot fix (bad key, unknown model, mode not allowed). */
  private static final class FatalResponse extends IOException {
    private static final long serialVersionUID = 1L;

    FatalResponse(String message) {
      super(message);
    }
  }
}
