package dev.hearth.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * deploy/compose.yaml and deploy/k8s/*.yaml agree with the image the build makes (name, port, user, model cache
 * path) and with each other (Service to Deployment, claim to volume), and probe /health.
 */
class DeployManifestsTest {
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    /** What the image (hearth-cli's "image" profile, checked by ImageIT) is: these manifests must match it. */
    private static final String IMAGE = System.getProperty("hearth.image", "hearth:0.1.0-SNAPSHOT");
    private static final int PORT = 8080;
    private static final long USER = 10001;
    private static final String MODELS = "/models";

    private static final Path DEPLOY = Path.of(System.getProperty("hearth.deploy", "../deploy"));

    private static JsonNode yaml(String file) throws IOException {
        return YAML.readTree(Files.readString(DEPLOY.resolve(file)));
    }

    @Test
    void composeRunsTheImageWithTheModelVolumeAndAFrontOnTheRemoteBackend() throws IOException {
        JsonNode services = yaml("compose.yaml").path("services");
        JsonNode hearth = services.path("hearth");
        assertEquals(IMAGE, hearth.path("image").asText());
        assertTrue(strings(hearth.path("ports")).contains("8080:" + PORT), hearth.toString());
        assertTrue(strings(hearth.path("volumes")).contains("models:" + MODELS), hearth.toString());
        assertTrue(hearth.path("environment").path("HEARTH_MODEL").asText().startsWith(MODELS + "/"));
        assertTrue(yaml("compose.yaml").path("volumes").has("models"));

        JsonNode front = services.path("hearth-front");
        assertEquals(IMAGE, front.path("image").asText());
        List<String> command = strings(front.path("command"));
        assertEquals("serve", command.getFirst());
        assertEquals("http://hearth:" + PORT, command.get(command.indexOf("--backend") + 1));
        assertEquals("service_healthy", front.path("depends_on").path("hearth").path("condition").asText());
    }

    @Test
    void theDeploymentRunsTheImageAsItsUserWithProbesOnHealth() throws IOException {
        JsonNode d = yaml("k8s/deployment.yaml");
        assertEquals("Deployment", d.path("kind").asText());
        assertTrue(d.path("spec").path("replicas").asInt() >= 1);
        JsonNode pod = d.path("spec").path("template").path("spec");
        JsonNode c = pod.path("containers").get(0);
        assertEquals(IMAGE, c.path("image").asText());
        assertEquals(PORT, c.path("ports").get(0).path("containerPort").asInt());
        String portName = c.path("ports").get(0).path("name").asText();
        for (String probe : List.of("startupProbe", "readinessProbe", "livenessProbe")) {
            JsonNode get = c.path(probe).path("httpGet");
            assertEquals("/health", get.path("path").asText(), probe);
            assertEquals(portName, get.path("port").asText(), probe);
        }
        assertTrue(pod.path("securityContext").path("runAsNonRoot").asBoolean());
        assertEquals(USER, pod.path("securityContext").path("runAsUser").asLong());
        assertFalse(c.path("securityContext").path("allowPrivilegeEscalation").asBoolean(true));

        String volume = null;
        for (JsonNode m : c.path("volumeMounts")) if (m.path("mountPath").asText().equals(MODELS)) volume = m.path("name").asText();
        assertTrue(volume != null, "the model cache is mounted at " + MODELS);
        String claim = null;
        for (JsonNode v : pod.path("volumes")) if (v.path("name").asText().equals(volume)) claim = v.path("persistentVolumeClaim").path("claimName").asText();
        assertEquals(yaml("k8s/pvc.yaml").path("metadata").path("name").asText(), claim);
        for (JsonNode e : c.path("env")) {
            if (e.path("name").asText().equals("HEARTH_MODEL")) assertTrue(e.path("value").asText().startsWith(MODELS + "/"));
        }
    }

    @Test
    void resourcesAreRequestedAndTheLimitIsAtLeastTheRequest() throws IOException {
        JsonNode r = yaml("k8s/deployment.yaml").path("spec").path("template").path("spec").path("containers").get(0).path("resources");
        long request = bytes(r.path("requests").path("memory").asText());
        long limit = bytes(r.path("limits").path("memory").asText());
        assertTrue(request > 0 && limit >= request, r.toString());
        assertFalse(r.path("requests").path("cpu").asText().isEmpty());
    }

    @Test
    void theServiceSelectsTheDeploymentsPodsOnItsPort() throws IOException {
        JsonNode s = yaml("k8s/service.yaml");
        JsonNode d = yaml("k8s/deployment.yaml");
        assertEquals("Service", s.path("kind").asText());
        assertEquals(d.path("spec").path("template").path("metadata").path("labels"), s.path("spec").path("selector"));
        JsonNode port = s.path("spec").path("ports").get(0);
        assertEquals(PORT, port.path("port").asInt());
        JsonNode c = d.path("spec").path("template").path("spec").path("containers").get(0);
        assertEquals(c.path("ports").get(0).path("name").asText(), port.path("targetPort").asText());
    }

    @Test
    void kustomizationListsEveryManifest() throws IOException {
        List<String> resources = strings(yaml("k8s/kustomization.yaml").path("resources"));
        try (var files = Files.list(DEPLOY.resolve("k8s"))) {
            List<String> manifests = files.map(p -> p.getFileName().toString())
                    .filter(n -> n.endsWith(".yaml") && !n.equals("kustomization.yaml")).sorted().toList();
            assertEquals(manifests, resources.stream().sorted().toList());
        }
        JsonNode pvc = yaml("k8s/pvc.yaml");
        assertEquals("PersistentVolumeClaim", pvc.path("kind").asText());
        assertTrue(bytes(pvc.path("spec").path("resources").path("requests").path("storage").asText()) > 0);
    }

    /** A Kubernetes quantity such as 1Gi, 1280Mi or 2G in bytes. */
    private static long bytes(String quantity) {
        Matcher m = Pattern.compile("(\\d+)([KMGT]i?)?").matcher(quantity);
        assertTrue(m.matches(), "not a memory quantity: " + quantity);
        long n = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "" : m.group(2);
        int power = unit.isEmpty() ? 0 : "KMGT".indexOf(unit.charAt(0)) + 1;
        long base = unit.endsWith("i") ? 1024 : 1000;
        for (int i = 0; i < power; i++) n *= base;
        return n;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }
}
