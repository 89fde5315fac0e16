// Test harness around the real Jasypt library (Debian's libjasypt-java, Jasypt 1.9.3), used by
// tests/unit/jasypt_java.py to cross-check the Python implementation in both directions.
//
//   JASYPT_PASSWORD=... java -cp jasypt.jar:<dir> JasyptHarness encrypt|decrypt ALGORITHM < lines
//
// Each input line is base64(UTF-8 text); each output line is base64(UTF-8 result), or "ERROR <class>"
// when Jasypt refuses the value. Base64 framing keeps unicode and newlines intact whatever the locale.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.jasypt.encryption.pbe.StandardPBEStringEncryptor;
import org.jasypt.iv.NoIvGenerator;
import org.jasypt.iv.RandomIvGenerator;

public final class JasyptHarness {
    private JasyptHarness() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2 || !(args[0].equals("encrypt") || args[0].equals("decrypt"))) {
            System.err.println("usage: JasyptHarness encrypt|decrypt ALGORITHM");
            System.exit(2);
        }
        String password = System.getenv("JASYPT_PASSWORD");
        StandardPBEStringEncryptor encryptor = new StandardPBEStringEncryptor();
        encryptor.setAlgorithm(args[1]);
        encryptor.setPassword(password);
        encryptor.setKeyObtentionIterations(1000);
        encryptor.setStringOutputType("base64");
        // Jasypt 1.9.3 defaults to NoIvGenerator; AES needs a random IV stored with the value (Jasypt 3's default).
        boolean aes = args[1].toUpperCase().contains("AES");
        encryptor.setIvGenerator(aes ? new RandomIvGenerator() : new NoIvGenerator());

        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        PrintStream out = new PrintStream(System.out, true, "UTF-8");
        Base64.Decoder decoder = Base64.getDecoder();
        Base64.Encoder encoder = Base64.getEncoder();
        String line;
        while ((line = in.readLine()) != null) {
            String input = new String(decoder.decode(line.trim()), StandardCharsets.UTF_8);
            try {
                String result = args[0].equals("encrypt") ? encryptor.encrypt(input) : encryptor.decrypt(input);
                out.println(encoder.encodeToString(result.getBytes(StandardCharsets.UTF_8)));
            } catch (RuntimeException e) {
                out.println("ERROR " + e.getClass().getSimpleName());
            }
        }
        out.flush();
    }
}
