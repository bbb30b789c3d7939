// Reads masked columns through expressions as role agent the way JDBC applications do: server-side
// prepared statements reused without a new Describe (prepareThreshold=1), a fetch size inside a
// transaction (portals resumed after PortalSuspended), and binary transfer. Prints every value it
// got, so the test can look for raw PHI in them.
import java.sql.*;

public class PgJdbcAgentCheck {
  public static void main(String[] args) throws Exception {
    String url = args[0] + "&prepareThreshold=1&binaryTransfer=true";
    try (Connection c = DriverManager.getConnection(url, args[1], args[2])) {
      c.setAutoCommit(false);
      String sql = "SELECT id, reverse(ssn), full_name || '', dob, email FROM clinic.patients WHERE id > ? ORDER BY id LIMIT 5";
      int rows = 0;
      try (PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setFetchSize(2);
        for (int round = 0; round < 4; round++) {
          ps.setInt(1, 0);
          try (ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
              rows++;
              System.out.println("row " + rs.getInt(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4) + " " + rs.getString(5));
            }
          }
        }
      }
      c.commit();
      System.out.println("rows=" + rows);
    }
  }
}
