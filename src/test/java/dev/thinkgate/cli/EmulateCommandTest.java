package dev.thinkgate.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.thinkgate.emulator.EmulatedDialect;
import dev.thinkgate.emulator.ModelEmulatorOptions;
import dev.thinkgate.emulator.ServerProfile;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class EmulateCommandTest {
  private static ModelEmulatorOptions parse(String... args) {
    EmulateCommand.Model model = new EmulateCommand.Model();
    new CommandLine(model).parseArgs(args);
    return model.options();
  }

  @Test
  void serverAndTemplateSelectTheProfileTheTemplateAndTheServersFields() {
    ModelEmulatorOptions options = parse("--server", "vllm-0.16", "--template", "qwen3");
    assertThat(options.serverProfile()).isEqualTo(ServerProfile.VLLM_0_16);
    assertThat(options.template()).isEqualTo("qwen3");
    assertThat(options.reasoningDialect()).isEqualTo(EmulatedDialect.REASONING);
    assertThat(parse("--server", "vllm-0.11", "--template", "deepseek-r1", "--dialect", "both")
        .reasoningDialect()).isEqualTo(EmulatedDialect.BOTH);
  }

  @Test
  void defaultStaysTheTemplateLessEmulator() {
    ModelEmulatorOptions options = parse();
    assertThat(options.serverProfile()).isNull();
    assertThat(options.template()).isNull();
    assertThat(options.renders()).isFalse();
    assertThat(options.reasoningDialect()).isEqualTo(EmulatedDialect.REASONING_CONTENT);
  }

  @Test
  void badValuesNameTheAllowedOnes() {
    assertThatThrownBy(() -> parse("--server", "vllm-9"))
        .hasMessage("server 'vllm-9' is not one of vllm-0.11, vllm-0.16, sglang");
    assertThatThrownBy(() -> parse("--server", "sglang", "--template", "llama3"))
        .hasMessage("template 'llama3' is not one of deepseek-r1, qwen3, qwq");
    assertThatThrownBy(() -> parse("--template", "qwen3")).hasMessage("--template needs --server");
  }

  @Test
  void invalidFlagsExitWith2BeforeStartingAnything() {
    CommandLine cli = new CommandLine(new Main());
    cli.setErr(new PrintWriter(new StringWriter()));
    java.io.PrintStream oldErr = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    System.setErr(new java.io.PrintStream(captured, true));
    try {
      int code = cli.execute("emulate", "model", "--template", "qwq");
      assertThat(code).isEqualTo(2);
    } finally {
      System.setErr(oldErr);
    }
    assertThat(captured.toString()).contains("--template needs --server");
  }
}
