def main() -> None:
    print("Hello from confman!")
