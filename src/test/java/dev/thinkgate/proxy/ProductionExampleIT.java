package dev.thinkgate.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.thinkgate.audit.AuditSinks;
import dev.thinkgate.config.ConfigLoader;
import dev.thinkgate.config.GatewayConfig;
import dev.thinkgate.config.LoadResult;
import dev.thinkgate.emulator.EmulatedGuardServer;
import dev.thinkgate.emulator.EmulatedModelServer;
import dev.thinkgate.emulator.GuardEmulatorOptions;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.ServerProfile;
import dev.thinkgate.metrics.GatewayMetrics;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped conf/production.example.yaml (which conf/compose.yaml serves) with its
 * R1-Distill route pointed at the template-rendering emulator (vLLM 0.11 + deepseek-r1, as
 * compose.yaml starts vLLM with --reasoning-parser deepseek_r1) and its guard at the emulated
 * guard: every shipped policy answers, and every prompt the model sees holds BOS and the
 * thought opening once. Before issue 15 the route's dialect vllm made every prefill a 400.
 */
class ProductionExampleIT {
  private static final String BOS = "<｜begin▁of▁sentence｜>";

  @Test
  void everyShippedPolicyWorksOnTheR1Route(@TempDir Path dir) throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      EmulatedModelServer model = new EmulatedModelServer(vertx, ModelEmulatorOptions.builder()
          .serverProfile(ServerProfile.VLLM_0_11).template("deepseek-r1").build());
      int modelPort = model.start("127.0.0.1", 0).await();
      int guardPort = new EmulatedGuardServer(vertx, GuardEmulatorOptions.defaults())
          .start("127.0.0.1", 0).await();
      Path config = dir.resolve("production.yaml");
      Files.writeString(config, Files.readString(Path.of("conf/production.example.yaml"))
          .replace("http://vllm:8000", "http://127.0.0.1:" + modelPort)
          .replace("http://llama-guard:8000", "http://127.0.0.1:" + guardPort));
      Map<String, String> env = Map.of("VLLM_API_KEY", "k", "THINKGATE_AUDIT_DIR",
          dir.resolve("audit").toString());
      LoadResult loaded = new ConfigLoader(env::get).load(config, Path.of("policies"));
      assertThat(loaded.errors()).isEmpty();
      GatewayConfig c = loaded.config();
      // the placeholder key hashes match no key: serve anonymously, one policy at a time
      GatewayConfig open = new GatewayConfig(c.server(), c.routes(), c.guards(), List.of(),
          GatewayConfig.AuditConfig.NONE, c.policies());
      for (String policy : c.policies().keySet().stream().sorted().toList()) {
        GatewayServer gateway = new GatewayServer(vertx, open, new GatewayMetrics(), env::get,
            policy, AuditSinks.discarding(), System::currentTimeMillis);
        int port = gateway.start("127.0.0.1", 0, 1).await();
        try {
          int before = model.prompts().size();
          TestClient.Response r = new TestClient("http://127.0.0.1:" + port).post(
              "/v1/chat/completions",
              TestClient.chat("deepseek-r1-distill", "How do I boil an egg?")
                  .put("max_tokens", 2000).encode());
          assertThat(r.status()).as(policy + ": " + r.body()).isEqualTo(200);
          List<String> prompts = model.prompts().subList(before, model.prompts().size());
          assertThat(prompts).as(policy).isNotEmpty().allSatisfy(p -> {
            assertThat(p).startsWith(BOS).doesNotContain("<think>\n<think>");
            assertThat(p.indexOf(BOS, 1)).isEqualTo(-1);
          });
          assertThat(gateway.prefillDecisions().getJsonObject("deepseek-r1*").getString("path"))
              .isEqualTo("completions");
        } finally {
          gateway.close().await();
        }
      }
    } finally {
      vertx.close().await();
    }
  }
}
