package dev.thinkgate.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.emulator.EmulatedModelServer;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.ServerProfile;
import io.vertx.core.Vertx;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code thinkgate policy check --probe} against the template-rendering emulator of vLLM serving
 * DeepSeek-R1-Distill: a route with the old explicit {@code dialect: vllm} and a prefill policy is
 * named and the check exits 1; the same route on {@code dialect: auto} passes and says it will use
 * the completions path.
 */
class PolicyCheckProbeIT {
  private final Vertx vertx = Vertx.vertx();
  private EmulatedModelServer model;
  private int port;
  private final StringWriter out = new StringWriter();

  @BeforeEach
  void start() {
    model = new EmulatedModelServer(vertx, ModelEmulatorOptions.builder()
        .serverProfile(ServerProfile.VLLM_0_11).template("deepseek-r1").build());
    port = model.start("127.0.0.1", 0).await();
  }

  @AfterEach
  void stop() {
    vertx.close().await();
  }

  private int check(Path dir, String dialect) throws Exception {
    Path config = dir.resolve("thinkgate.yaml");
    Files.writeString(config, "routes:\n  - model: \"*\"\n    upstream: http://127.0.0.1:" + port
        + "\n    upstream_model: " + ModelEmulatorOptions.DEFAULT_MODEL
        + "\n    dialect: " + dialect + "\n");
    CommandLine cli = new CommandLine(new PolicyCommand(Map.<String, String>of()::get));
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(new StringWriter(), true));
    return cli.execute("check", "--probe", "--config", config.toString(), "--policies", "policies");
  }

  @Test
  void anExplicitVllmRouteWhoseTemplateDropsPrefillsFailsTheCheck(@TempDir Path dir)
      throws Exception {
    assertThat(check(dir, "vllm")).isEqualTo(1);
    assertThat(out.toString()).contains("dialect vllm", "final message does not appear",
        "ERROR: policies", "zerothink", "use dialect: auto");
  }

  @Test
  void theSameRouteOnAutoPassesAndNamesItsPath(@TempDir Path dir) throws Exception {
    assertThat(check(dir, "auto")).isZero();
    assertThat(out.toString()).contains("dialect auto", "prefills via completions (template"
        + " deepseek-r1), verified").doesNotContain("ERROR");
  }
}
