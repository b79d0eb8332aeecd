// The sample's compiled classes, INSIDE the sandbox: read from the bundle the compile wrote
// (CompileMain: one line per class, `test|class <binary name> <base64>`) and defined by a class
// loader of their own, whose parent (JUnit, the harness) comes first.
package assay;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.CodeSource;
import java.security.ProtectionDomain;
import java.security.cert.Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

final class Bundle extends ClassLoader {
    static final String HEADER = "assay-classes 1";

    private final Map<String, byte[]> classes = new HashMap<>();
    final List<String> testClasses = new ArrayList<>(); // top-level classes of the tests' file
    private final ProtectionDomain domain;

    private Bundle(ClassLoader parent, Path workdir) {
        super(parent);
        ProtectionDomain made = null;
        try {
            URL where = workdir.toUri().toURL();
            made = new ProtectionDomain(new CodeSource(where, (Certificate[]) null), null, this, null);
        } catch (MalformedURLException e) {
            // no code source: classes are still defined
        }
        domain = made;
    }

    static Bundle read(Path file, ClassLoader parent) throws IOException {
        Bundle bundle = new Bundle(parent, Paths.get("").toAbsolutePath());
        List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        if (lines.isEmpty() || !lines.get(0).equals(HEADER)) {
            throw new IOException(file + " is not a class bundle");
        }
        Base64.Decoder decoder = Base64.getDecoder();
        for (String line : lines.subList(1, lines.size())) {
            if (line.isEmpty()) continue;
            String[] parts = line.split(" ", 3);
            if (parts.length != 3) throw new IOException(file + ": a malformed line");
            bundle.classes.put(parts[1], decoder.decode(parts[2]));
            if (parts[0].equals("test") && parts[1].indexOf('$') < 0) {
                bundle.testClasses.add(parts[1]);
            }
        }
        return bundle;
    }

    /** A class of the bundle, defined once: its bytes are not kept beyond that. */
    @Override
    protected Class<?> findClass(String name) throws ClassNotFoundException {
        byte[] bytes = classes.get(name);
        if (bytes == null) throw new ClassNotFoundException(name);
        Class<?> defined = defineClass(name, bytes, 0, bytes.length, domain);
        classes.remove(name);
        return defined;
    }
}
