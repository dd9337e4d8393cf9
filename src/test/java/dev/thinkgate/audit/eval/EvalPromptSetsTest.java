package dev.thinkgate.audit.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code thinkgate eval --prompts} takes a file or the name of a set shipped in the jar. */
class EvalPromptSetsTest {

  @TempDir Path dir;

  @Test
  void builtInNamesAndTheReadmesDataPathReadTheShippedSets() throws Exception {
    assertThat(EvalRunner.readPrompts(Path.of("advbench-sub"), "query", null)).hasSize(50)
        .first().asString().isNotBlank();
    assertThat(EvalRunner.readPrompts(Path.of("data/advbench-sub.jsonl"), "query", 3)).hasSize(3);
    assertThat(EvalRunner.readPrompts(Path.of("xstest-safe.jsonl"), "query", null)).hasSize(250);
  }

  @Test
  void aFileOnDiskWinsOverTheBuiltInName() throws Exception {
    Path own = Files.writeString(dir.resolve("advbench-sub"), "{\"query\": \"mine\"}\n");

    assertThat(EvalRunner.readPrompts(own, "query", null)).containsExactly("mine");
  }

  @Test
  void anUnknownNameSaysWhichSetsAreBuiltIn() {
    assertThatThrownBy(() -> EvalRunner.readPrompts(Path.of("advbench-full"), "query", null))
        .isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("advbench-full")
        .hasMessageContaining("built-in: advbench-sub, xstest-safe");
  }
}
