from chronos_operator.main import main

main()
